// LineSink is where a streaming source's lines go: the one input interface
// the file tailer (TailerObserver) and the listeners (LineHandler) share, so
// that whatever consumes lines (the source's pipeline) takes them from
// either the same way.
//
// Usage:
//   class Counter : public TailerObserver {  // or LineHandler
//     void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override {
//       total += lines.size();
//     }
//     ...
//   };
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace metrics_adapter {

class LineSink {
 public:
  virtual ~LineSink() = default;

  // Complete lines, without their '\n', valid during the call only.
  // `bytes`: the bytes of input this call accounts for, including line ends,
  // skipped bytes and the start of a line still to be completed, so that the
  // sum over all calls is the bytes the source took in. `lines` may be empty.
  // Called from the source's one thread only.
  virtual void OnLines(std::span<const std::string_view> lines, std::size_t bytes) = 0;
};

}  // namespace metrics_adapter
