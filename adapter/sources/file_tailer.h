// FileTailer follows log files named by globs and hands every complete line,
// exactly once, to a TailerObserver.
//
// It is the streaming source behind `type: file`. Files are identified by
// (device, inode), not by name, so the usual rotation schemes lose no line and
// count no line twice:
//   - rename + create: the renamed file is drained to its end (and kept open
//     for `rotate_wait` in case the writer still appends to it), then the new
//     file at the path is read from its start;
//   - copytruncate: a file whose size drops below the read offset, or whose
//     first bytes or bytes just before the offset no longer match what was
//     read, is read again from its start (lines written between the last read
//     and the truncate are only in the copy: copytruncate loses them for any
//     tailer that does not follow the copy);
//   - delete + recreate: the deleted file is drained and closed, the new one
//     is read from its start;
//   - a file renamed to another name that still matches a glob is recognised
//     by its inode and not read again.
// Each file's bytes are cut into lines by a LineFramer (line_framer.h): a
// partial last line is held until its newline arrives; lines longer than
// `max_line_bytes` are skipped up to the next newline and reported.
// Files that exist when the tailer starts are read from their end unless
// `from_beginning` is set; files that appear later are read from their start.
// Given a TailerPositions, every file is started where it says (a position
// saved by an earlier run), else from its start, and every advance of the
// counted offset is reported to it.
// Details of the edges:
//   - starting at the end of a file whose last line is unterminated skips the
//     rest of that line (its start is not ours, it would arrive broken);
//   - a file present at start but not readable then (permissions) is read,
//     once it can be opened, from the size it had at start; a file in a
//     directory that could not be listed at start is read from its start;
//   - copytruncate is detected by comparing the first and the last 64 bytes
//     read with the file, so equal-length lines cannot hide a rewrite; a held
//     partial line is then dropped, not glued to the new bytes;
//   - a rotated or deleted file's unterminated last line is handed over when
//     the file is closed after `rotate_wait`;
//   - a file that is renamed to a non-matching name or deleted before the
//     tailer first saw it is never read: nobody can (inotify makes the window
//     short, and a glob that matches rotated names closes it for renames).
//
// Usage:
//   FileTailer tailer(options, &observer);
//   std::jthread t([&](std::stop_token st) { tailer.Run(st); });
//   ...
//   t.request_stop();  // Run returns promptly
//
// Tests step the tailer deterministically with Poll() instead of Run().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/sources/line_framer.h"
#include "adapter/sources/line_sink.h"
#include "adapter/sources/record_joiner.h"
#include "adapter/sources/tailer_positions.h"

namespace metrics_adapter {

struct TailerOptions {
  // Paths or glob(3) patterns. A directory part may not contain wildcards.
  std::vector<std::string> paths;
  // Read files present at start from their start instead of their end.
  // Not used with a TailerPositions, which says where every file starts.
  bool from_beginning = false;
  // Longer lines (not counting the newline) are skipped and reported.
  std::size_t max_line_bytes = std::size_t{64} * 1024;
  // Fallback re-scan interval; inotify wakes the tailer sooner when available.
  std::chrono::milliseconds poll_interval{250};
  // How long a rotated-away or deleted file stays open after it stops growing.
  std::chrono::milliseconds rotate_wait{5000};
  // Size of one read(2).
  std::size_t read_chunk_bytes = std::size_t{256} * 1024;
  // Join each file's lines into multi-line records (record_joiner.h), with
  // one joiner per followed file: a rotation never joins two files' lines.
  std::optional<MultilineOptions> multiline;

  bool operator==(const TailerOptions&) const = default;
};

enum class TailEvent {
  kOpened,       // a file started being followed (detail: "start" or "end")
  kRotated,      // the path now names a different file than the one followed
  kTruncated,    // the file was truncated or rewritten in place; reading from 0
  kDeleted,      // the followed file was unlinked
  kClosed,       // a rotated or deleted file was drained and closed
  kLineTooLong,  // a line longer than max_line_bytes was skipped
  kReadError,    // open/read/stat failed (detail: strerror text); retried later
  kRecordCut,    // multiline: a record was cut (detail: "max_lines" or "max_bytes")
  kNoStartLine,  // multiline: a record began with a line that would have joined one
};

std::string_view TailEventName(TailEvent event);

// How a FileTailer frames each file: a '\r' before the '\n' removed (CRLF
// logs read as LF ones, as every source reads them), empty lines kept as
// lines, over-long ones dropped.
LineFramer::Options TailerFraming(const TailerOptions& options);

// Receives the output of a FileTailer. Called only from the thread running
// Poll()/Run(); the string_views are valid only for the duration of the call.
//
// OnLines (see LineSink): complete lines, without their '\n' and a '\r'
// before it; otherwise the bytes the writer wrote. With `multiline`, each
// "line" is a record: its lines joined with '\n', handed over when complete
// (a pending record's bytes are counted in the call that read them, the
// record itself may come in a later call with `bytes` 0). `bytes` counts every byte
// consumed from a file by this read, including newlines and skipped bytes.
// Called once per read chunk, also when the chunk completed no line (then
// `lines` is empty); a held partial line handed over on its own comes with
// `bytes` 0, its bytes having been counted when read.
class TailerObserver : public virtual LineSink {
 public:
  virtual void OnEvent(TailEvent event, std::string_view path, std::string_view detail) = 0;
};

class FileTailer {
 public:
  // `positions`, if given, must outlive the tailer.
  FileTailer(TailerOptions options, TailerObserver* observer, TailerPositions* positions = nullptr);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // One pass: expands the globs, notices new, rotated, truncated and deleted
  // files, and reads every followed file to its current end. Never throws;
  // errors are reported as kReadError events and retried on the next pass.
  void Poll();

  // Hands over the held partial last line of every file as if it ended in a
  // newline, and with `multiline` every pending record. For one-shot
  // reading, where end of file is final.
  void FlushPartialLines();

  // Calls Poll() whenever inotify reports a change in a watched directory, and
  // at least every poll_interval, until `stop` is requested. Returns promptly
  // after a stop request, handing over pending multi-line records first.
  void Run(std::stop_token stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace metrics_adapter
