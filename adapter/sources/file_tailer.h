// FileTailer follows log files named by globs and hands every complete line,
// exactly once, to a TailerObserver.
//
// It is the streaming source behind `type: file`. Its paths are PathPatterns
// (path_pattern.h): wildcards in any component, `**` for any depth, within
// the walk's bounds; files an `exclude` pattern names are left out. Files
// and directories that appear later are found by the next scan, which
// inotify (a watch on every directory the patterns reach, and on the nearest
// existing ancestor of a fixed directory that does not exist yet) triggers at
// once, and poll_interval at the latest (when inotify is unavailable, or its
// watches ran out). Files are identified by
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
// Nothing is silent, and nothing a path names can take more than its share:
// a source follows max_files files at most, and all sources together no more
// than the descriptors the process budget leaves for files (fd_budget.h), so
// the HTTP server and the listeners always have theirs; a matching file over
// either limit is reported (kFileSkipped) and followed once a slot is free.
// A FIFO, a device, a socket or a directory at a matching path is reported
// (kNotRegular) and never opened (opening a FIFO would block). A pattern
// that matches no file is reported
// (kPatternEmpty) at the first scan, or once it has matched nothing for
// rotate_wait after matching (so a rotation does not count); it is reported
// again when it matches (kPatternMatching). After each scan the observer
// gets the number of files followed and the bytes not yet read (OnStatus),
// before reading and after.
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

#include "adapter/sources/fd_budget.h"
#include "adapter/sources/line_framer.h"
#include "adapter/sources/line_sink.h"
#include "adapter/sources/record_joiner.h"
#include "adapter/sources/tailer_positions.h"

namespace metrics_adapter {

struct TailerOptions {
  // Paths or PathPatterns (wildcards in any component, `**`).
  std::vector<std::string> paths;
  // Files these name are not followed (see PathExcludes: a pattern without
  // a '/' is matched against the file name, one with a '/' the whole path).
  std::vector<std::string> exclude;
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
  // false: Run() never uses inotify and finds changes by polling alone, as
  // it does when inotify is unavailable.
  bool inotify = true;
  // Files followed at once (rotated ones still being drained included), each
  // an open descriptor. Matching files beyond it are not opened: reported
  // once each (kFileSkipped "max_files") and opened when a slot frees up.
  std::size_t max_files = 1024;
  // Whether a symbolic link at a matching path is read (the file it points
  // to), and whether wildcards enter symbolic links to directories. Risk:
  // whoever can write in a followed directory can point the adapter at any
  // file its uid can read (only what the rules extract leaves it, but a
  // parse error's log line may quote it). false: such links are reported
  // once each (kNotRegular "symlink") and never opened.
  bool follow_symlinks = true;

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
  // A pattern (path: the pattern as configured) matches no file: at the first
  // scan, or after it matched some for rotate_wait (detail says which).
  kPatternEmpty,
  kPatternMatching,  // a pattern reported empty matches again (detail: how many)
  // A directory could not be watched (detail: strerror text, ENOSPC when the
  // inotify watches ran out): polling every poll_interval covers it.
  kWatchFailed,
  // A matching file was not opened (detail: "max_files", or "fd_budget" when
  // the process's descriptors for files ran out, see fd_budget.h). Reported
  // once per file until it is opened; it is, when a slot frees up, from
  // where it was when first skipped, if the tailer started at the ends.
  kFileSkipped,
  // Something at a matching path that is not a regular file, never opened
  // (detail: "fifo", "character_device", "block_device", "socket",
  // "directory", "symlink" (not followed), "other"). Reported once per path
  // while it stays there.
  kNotRegular,
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
// What one Poll() found: reported after its scan, before its reads (the lag
// found), and again after them (the lag left).
struct TailerStatus {
  // Files followed at paths the patterns match (rotated-away files still
  // being drained not included).
  std::size_t files = 0;
  // Bytes written to every followed file (drained ones included) beyond
  // what was read: the size minus the read offset, summed.
  std::uint64_t lag_bytes = 0;
  // Matching files not followed for lack of a slot (kFileSkipped), and the
  // slots there were: max_files, or fewer when the descriptor budget was
  // the tighter limit when the last one was skipped.
  std::size_t skipped = 0;
  std::size_t files_limit = 0;
};

class TailerObserver : public virtual LineSink {
 public:
  virtual void OnEvent(TailEvent event, std::string_view path, std::string_view detail) = 0;
  // Twice per Poll(), before and after reading; the default ignores it.
  virtual void OnStatus(const TailerStatus& /*status*/) {}
};

class FileTailer {
 public:
  // `positions`, if given, must outlive the tailer; so must `budget` (null:
  // FdBudget::Process()), which every followed file takes a descriptor from.
  FileTailer(TailerOptions options, TailerObserver* observer, TailerPositions* positions = nullptr,
             FdBudget* budget = nullptr);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // One pass: walks the patterns, notices new, rotated, truncated and deleted
  // files, reports the status, and reads every followed file to its current end. Never throws;
  // errors are reported as kReadError events and retried on the next pass.
  void Poll();

  // Hands over the held partial last line of every file as if it ended in a
  // newline, and with `multiline` every pending record. For one-shot
  // reading, where end of file is final.
  void FlushPartialLines();

  // Until `stop` is requested: calls Poll() when inotify reports a change of
  // entries in a watched directory (created, moved, deleted, permissions) and
  // at least every poll_interval; when it reports only writes, reads the
  // followed files without walking the patterns again. Returns promptly
  // after a stop request, handing over pending multi-line records first.
  void Run(std::stop_token stop);

  // Waits until Run() has made its first pass (walked the patterns, opened
  // the files it follows and read them to their end) or `timeout` passed;
  // returns whether the pass was made. A caller that starts Run() on a thread
  // waits for this before it says the source is ready: every line appended
  // after that is counted, even by a tailer that starts at files' ends.
  bool WaitFirstPass(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace metrics_adapter
