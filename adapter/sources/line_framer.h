// LineFramer cuts a byte stream, arriving in chunks of any size, into lines:
// the one framing shared by the file tailer (one framer per file), the TCP
// listener (one per connection) and whole inputs (a pulled body, explain's
// input, a rule test's input).
//
// Contract:
//   - a line ends at '\n', which is not part of it; the bytes of a line that
//     spans chunks are held until its '\n' arrives (Frame) or the input ends
//     (Finish);
//   - a line longer than max_line_bytes (counting a '\r' before its '\n',
//     not the '\n') is dropped and counted once, as soon as it is known to be
//     too long, and the rest of it is skipped up to the next '\n': a long
//     line costs no memory beyond max_line_bytes and yields no fragment;
//   - with strip_cr, one '\r' at the end of a line is removed (a CRLF line
//     end, or a '\r' just before the end of the input);
//   - with skip_empty, lines that are empty (after stripping) are left out.
// Frame allocates only while a held line outgrows every line held before,
// so the steady state allocates nothing.
//
// Usage:
//   LineFramer framer({.max_line_bytes = 64 * 1024, .strip_cr = true});
//   std::vector<std::string_view> lines;
//   while (read chunk) {
//     lines.clear();
//     std::size_t too_long = framer.Frame(chunk, lines);
//     Use(lines);  // before the next call: a line may point into the framer
//   }
//   lines.clear();
//   framer.Finish(lines);  // end of input: the unterminated last line, if any
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

class LineFramer {
 public:
  struct Options {
    // Longer lines are dropped and counted (see the contract above).
    std::size_t max_line_bytes = std::size_t{64} * 1024;
    // Remove one '\r' at the end of each line.
    bool strip_cr = false;
    // Leave out empty lines.
    bool skip_empty = false;

    bool operator==(const Options&) const = default;
  };

  explicit LineFramer(Options options) : options_(options) {}

  // Appends the lines `data` completes to `lines` and holds the start of an
  // unterminated last line. Returns how many over-long lines were dropped.
  // The views point into `data`, or for the first line, when it completes a
  // held one, into the framer: valid until the next call on this framer.
  std::size_t Frame(std::string_view data, std::vector<std::string_view>& lines);

  // The input ended: appends the held unterminated line, if any (and not
  // being skipped as over-long), to `lines` as a final line, and starts
  // afresh. The view is valid until the next call on this framer.
  void Finish(std::vector<std::string_view>& lines);

  // Forgets the held line and any skipping: the input starts again.
  void Reset();

  // Skips what arrives up to the next '\n': the input starts in the middle
  // of a line whose start is not ours to report.
  void SkipRestOfLine() { skipping_ = true; }

  // Whether the start of an unterminated line is held (not counting an
  // over-long line being skipped).
  bool holding_line() const { return !partial_.empty(); }

  const Options& options() const { return options_; }

 private:
  // A '\n' ends the current line, whose last (or only) bytes are `piece`.
  // Returns 1 if the line was over-long, else 0.
  std::size_t EndLine(std::string_view piece, std::vector<std::string_view>& lines);
  // Holds `rest`, the start of a line. Returns 1 if it makes the line
  // over-long (it is then skipped), else 0.
  std::size_t Hold(std::string_view rest);
  // Moves the held line to joined_ (keeping both buffers' capacity) and
  // returns it.
  std::string_view TakeHeld();
  void Emit(std::string_view line, std::vector<std::string_view>& lines) const;

  Options options_;
  std::string partial_;    // the start of a line whose '\n' has not arrived
  std::string joined_;     // a held line completed by the current call
  bool skipping_ = false;  // inside an over-long line (already counted), or skipping a start
};

}  // namespace metrics_adapter
