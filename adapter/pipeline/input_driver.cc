#include "adapter/pipeline/input_driver.h"

#include <limits>

#include "adapter/sources/file_tailer.h"
#include "adapter/sources/line_listener.h"

namespace metrics_adapter {
namespace {

// Input is framed a slice at a time, so a large body needs no line index of
// its own size; a line across slices is joined by the framer.
constexpr std::size_t kSliceBytes = std::size_t{64} * 1024;

}  // namespace

LineFramer::Options BodyFraming() {
  return {.max_line_bytes = std::numeric_limits<std::size_t>::max(),
          .strip_cr = true,
          .skip_empty = false};
}

LineFramer::Options FramingFor(const SourceConfig& source) {
  if (source.type == "file") return TailerFraming(source.tailer);
  if (source.type == "udp" || source.type == "tcp_listener") {
    return ListenerFraming(source.listener);
  }
  return BodyFraming();
}

InputDriver::InputDriver(ParserUnit unit, LineFramer::Options framing)
    : unit_(unit), framer_(framing) {}

InputCounts InputDriver::Feed(std::string_view input, Parser& parser, RecordSink& sink) {
  InputCounts counts;
  if (unit_ == ParserUnit::kBody) {
    parser.Parse(input, sink);
    return counts;
  }
  framer_.Reset();
  for (std::size_t pos = 0; pos < input.size(); pos += kSliceBytes) {
    lines_.clear();
    counts.too_long += framer_.Frame(input.substr(pos, kSliceBytes), lines_);
    ParseLines(parser, sink, counts);
  }
  lines_.clear();
  framer_.Finish(lines_);
  ParseLines(parser, sink, counts);
  return counts;
}

void InputDriver::ParseLines(Parser& parser, RecordSink& sink, InputCounts& counts) {
  for (std::string_view line : lines_) parser.Parse(line, sink);
  counts.lines += lines_.size();
}

}  // namespace metrics_adapter
