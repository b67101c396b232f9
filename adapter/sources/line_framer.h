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
//
// With octet counting (RFC 6587, syslog over TCP) the stream is a sequence
// of frames `LEN SP MSG`, LEN the decimal byte count of MSG, which may hold
// newlines; each MSG is one line (one '\n' and then one '\r' at its end
// removed, as senders vary). A MSG longer than max_line_bytes is skipped and
// counted like an over-long line. A LEN that is not 1 to 10 digits followed
// by a space (LF between frames is tolerated) leaves the stream unframeable:
// broken() turns true and the rest is ignored, since no later byte can be
// known to start a frame. kAuto picks octet counting when the stream's first
// byte is a digit (a syslog message starts with '<', a log line rarely with
// a digit), newline framing otherwise.
//
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
  enum class Framing {
    kNewline,        // a line ends at '\n'
    kOctetCounting,  // `LEN SP MSG` frames (RFC 6587)
    kAuto,           // octet counting if the first byte is a digit, else newline
  };

  struct Options {
    Framing framing = Framing::kNewline;
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

  // Forgets the held line and any skipping: the input starts again (and
  // kAuto decides again).
  void Reset();

  // Skips what arrives up to the next '\n': the input starts in the middle
  // of a line whose start is not ours to report.
  void SkipRestOfLine() { skipping_ = true; }

  // Whether the start of an unterminated line (or octet-counted frame) is
  // held, not counting an over-long one being skipped.
  bool holding_line() const {
    return !partial_.empty() || length_digits_ > 0 || (frame_left_ > 0 && !skipping_);
  }

  // Octet counting: a frame's length could not be read; Frame ignores the
  // rest of the input until Reset.
  bool broken() const { return broken_; }

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
  // Frame for octet counting; how many over-long frames were skipped.
  std::size_t FrameOctets(std::string_view data, std::vector<std::string_view>& lines);
  // Reads the `LEN SP` of a frame from the start of `data`, moving past it;
  // 1 if the frame it starts is over-long, else 0. Sets broken_ on bad input.
  std::size_t ReadFrameLength(std::string_view& data);
  // Takes the bytes of the current frame's MSG from the start of `data`.
  void ReadFrameBytes(std::string_view& data, std::vector<std::string_view>& lines);
  void EmitFrame(std::string_view message, std::vector<std::string_view>& lines) const;

  Options options_;
  Framing framing_ = options_.framing;  // kAuto until the first byte decides
  bool broken_ = false;
  std::size_t length_digits_ = 0;  // digits of a frame length read so far
  std::size_t length_ = 0;         // the frame length they make
  std::size_t frame_left_ = 0;     // bytes of the current frame's MSG still due
  std::string partial_;            // the start of a line whose '\n' has not arrived
  std::string joined_;             // a held line completed by the current call
  bool skipping_ = false;  // inside an over-long line (already counted), or skipping a start
};

}  // namespace metrics_adapter
