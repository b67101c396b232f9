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

std::optional<MultilineOptions> MultilineFor(const SourceConfig& source) {
  if (source.type == "file") return source.tailer.multiline;
  return std::nullopt;
}

InputDriver::InputDriver(ParserUnit unit, LineFramer::Options framing,
                         const std::optional<MultilineOptions>& multiline)
    : unit_(unit), framer_(framing) {
  if (multiline) joiner_ = std::make_unique<RecordJoiner>(*multiline);
}

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
  if (joiner_) {  // the end of the input ends the pending record
    records_.clear();
    joiner_->Flush(records_);
    for (std::string_view record : records_) parser.Parse(record, sink);
    counts.lines += records_.size();
    counts.joined = joiner_->TakeCounts();
  }
  return counts;
}

void InputDriver::ParseLines(Parser& parser, RecordSink& sink, InputCounts& counts) {
  if (joiner_) {
    records_.clear();
    // A whole input has no idle time: its records end with the next start or
    // with the input.
    joiner_->Feed(lines_, RecordJoiner::Clock::time_point(), records_);
    for (std::string_view record : records_) parser.Parse(record, sink);
    counts.lines += records_.size();
    return;
  }
  for (std::string_view line : lines_) parser.Parse(line, sink);
  counts.lines += lines_.size();
}

}  // namespace metrics_adapter
