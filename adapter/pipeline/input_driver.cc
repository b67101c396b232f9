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

InputFraming BodyFraming() {
  return {.lines = {.max_line_bytes = std::numeric_limits<std::size_t>::max(),
                    .strip_cr = true,
                    .skip_empty = false},
          .streamed = false};
}

InputFraming FramingFor(const SourceConfig& source) {
  if (source.type == "file") return {.lines = TailerFraming(source.tailer), .streamed = true};
  if (source.type == "udp" || source.type == "tcp_listener") {
    return {.lines = ListenerFraming(source.listener), .streamed = true};
  }
  return BodyFraming();
}

std::optional<MultilineOptions> MultilineFor(const SourceConfig& source) {
  if (source.type == "file") return source.tailer.multiline;
  return std::nullopt;
}

InputDriver::InputDriver(ParserUnit unit, const InputFraming& framing,
                         const std::optional<MultilineOptions>& multiline)
    : whole_(unit == ParserUnit::kBody && !framing.streamed), framer_(framing.lines) {
  if (multiline) joiner_ = std::make_unique<RecordJoiner>(*multiline);
}

InputCounts InputDriver::Feed(std::string_view input, Parser& parser, RecordSink& sink) {
  InputCounts counts;
  if (whole_) {
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
    for (std::string_view record : records_) parser.ParseStreamLine(record, sink);
    counts.lines += records_.size();
    counts.joined = joiner_->TakeCounts();
  }
  return counts;
}

// Each line (or joined record) is one unit of a stream.
void InputDriver::ParseLines(Parser& parser, RecordSink& sink, InputCounts& counts) {
  if (joiner_) {
    records_.clear();
    // A whole input has no idle time: its records end with the next start or
    // with the input.
    joiner_->Feed(lines_, RecordJoiner::Clock::time_point(), records_);
    for (std::string_view record : records_) parser.ParseStreamLine(record, sink);
    counts.lines += records_.size();
    return;
  }
  for (std::string_view line : lines_) parser.ParseStreamLine(line, sink);
  counts.lines += lines_.size();
}

}  // namespace metrics_adapter
