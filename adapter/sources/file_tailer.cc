#include "adapter/sources/file_tailer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "adapter/base/strings.h"
#include "adapter/sources/path_pattern.h"

namespace metrics_adapter {

namespace {

using Clock = std::chrono::steady_clock;

// How many bytes at the head and before the read offset are remembered to
// recognise a file that was truncated and rewritten past the old offset.
constexpr std::size_t kFingerprintBytes = 64;

constexpr uint32_t kWatchMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                                IN_ATTRIB | IN_CLOSE_WRITE | IN_ONLYDIR;

std::string ErrorText(std::string_view what, int err) {
  std::string text(what);
  text += ": ";
  text += ErrnoText(err);
  return text;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  auto operator<=>(const FileId&) const = default;
};

FileId IdOf(const struct stat& st) { return FileId{st.st_dev, st.st_ino}; }

FileKey KeyOf(const FileId& id) { return FileKey{id.dev, id.ino}; }

// What kNotRegular's detail calls the kind of file in `st`.
std::string_view KindOf(const struct stat& st) {
  if (S_ISFIFO(st.st_mode)) return "fifo";
  if (S_ISCHR(st.st_mode)) return "character_device";
  if (S_ISBLK(st.st_mode)) return "block_device";
  if (S_ISSOCK(st.st_mode)) return "socket";
  if (S_ISDIR(st.st_mode)) return "directory";
  if (S_ISLNK(st.st_mode)) return "symlink";
  return "other";
}

// A configured path and what the last scans found there.
struct PatternState {
  explicit PatternState(const std::string& text) : pattern(text) {}

  PathPattern pattern;
  enum class Reported { kNothing, kEmpty, kMatching } reported = Reported::kNothing;
  bool matched_before = false;  // some scan found a file (so emptiness may be a rotation)
  Clock::time_point empty_since;
  bool empty_now = false;  // the last scan found none
};

// A watched directory: its descriptor, and whether the current scan reached it.
struct Watch {
  int wd = -1;
  bool reached = false;
};

// A regular file seen at a matching path during one scan.
struct Candidate {
  std::string path;
  FileId id;
  off_t size = 0;
};

struct TailedFile {
  explicit TailedFile(const TailerOptions& options) : framer(TailerFraming(options)) {
    if (options.multiline) joiner = std::make_unique<RecordJoiner>(*options.multiline);
  }

  FileId id;
  int fd = -1;
  std::string path;
  off_t offset = 0;    // next byte to read
  off_t line_end = 0;  // just after the last '\n' read: where the next line starts
  // With `joiner`: where the pending record's first line starts.
  off_t record_start = 0;
  LineFramer framer;   // the current line's bytes read so far
  std::string head;    // first min(64, offset) bytes of the file
  std::string tail;    // the min(64, offset) bytes just before `offset`
  bool active = true;  // false: rotated away or deleted, being drained
  bool seen = false;   // found at a matching path in the current scan
  Clock::time_point last_growth;

  std::unique_ptr<RecordJoiner> joiner;  // with `multiline`: the pending record
};

}  // namespace

LineFramer::Options TailerFraming(const TailerOptions& options) {
  return {.max_line_bytes = options.max_line_bytes, .strip_cr = true, .skip_empty = false};
}

std::string_view TailEventName(TailEvent event) {
  switch (event) {
    case TailEvent::kOpened:
      return "opened";
    case TailEvent::kRotated:
      return "rotated";
    case TailEvent::kTruncated:
      return "truncated";
    case TailEvent::kDeleted:
      return "deleted";
    case TailEvent::kClosed:
      return "closed";
    case TailEvent::kLineTooLong:
      return "line_too_long";
    case TailEvent::kReadError:
      return "read_error";
    case TailEvent::kRecordCut:
      return "record_cut";
    case TailEvent::kNoStartLine:
      return "no_start_line";
    case TailEvent::kPatternEmpty:
      return "pattern_empty";
    case TailEvent::kPatternMatching:
      return "pattern_matching";
    case TailEvent::kWatchFailed:
      return "watch_failed";
    case TailEvent::kFileSkipped:
      return "file_skipped";
    case TailEvent::kNotRegular:
      return "not_regular";
  }
  return "unknown";
}

struct FileTailer::Impl : PathWalkVisitor {
  Impl(TailerOptions opts, TailerObserver* obs, TailerPositions* pos, FdBudget* fds)
      : options(std::move(opts)),
        observer(obs),
        positions(pos),
        budget(fds != nullptr ? fds : &FdBudget::Process()),
        excludes(options.exclude) {
    if (options.read_chunk_bytes == 0) options.read_chunk_bytes = 1;
    for (const std::string& path : options.paths) patterns.emplace_back(path);
    buffer.resize(kFingerprintBytes + options.read_chunk_bytes);
  }

  ~Impl() override {
    for (auto& [id, file] : files) {
      close(file.fd);
      budget->Release();
    }
  }

  void Poll();
  void ReadPass();  // reads the followed files without walking the patterns
  void PollNoThrow(bool scan);
  void FlushPartialLines();
  void Run(std::stop_token stop);
  // Run's first pass, for WaitFirstPass.
  void FirstPassDone();
  std::mutex first_pass_mu;
  std::condition_variable first_pass_cv;
  bool first_pass_done = false;  // guarded by first_pass_mu

  // Scanning (the walk's PathWalkVisitor).
  void Scan();
  void OnDirectory(const std::string& dir) override;
  void OnFile(std::string path, const struct stat& st) override;
  void OnError(const std::string& path, std::string_view call, int err) override;
  void OnNotRegular(const std::string& path, const struct stat& st) override;
  void ReportPattern(PatternState& state, std::size_t matched, bool uncertain_scan);
  bool Uncertain(const TailedFile& file) const;
  const Candidate* CandidateAt(std::string_view path) const;

  // Reconciling the scan with the followed files.
  void MatchKnownFiles();
  void RetireVanishedFiles();
  void OpenNewFile(const Candidate& candidate);
  bool TakeSlot(const Candidate& candidate);
  void ForgetGoneFiles();
  void PrimeFingerprints(TailedFile& file);

  // Reading.
  void ReportStatus(bool after_reading);
  void ReadAll();
  void ReadFile(TailedFile& file);
  bool HeadMatches(const TailedFile& file);
  void Restart(TailedFile& file, std::string_view why);
  void Consume(TailedFile& file, const char* data, std::size_t len);
  void FinishLine(TailedFile& file);
  void Deliver(TailedFile& file, std::size_t bytes);
  void CommitConsumed(TailedFile& file, const char* data, std::size_t len, off_t start);
  void FlushRecord(TailedFile& file, bool only_if_idle);
  void ReportJoined(TailedFile& file);
  void RememberBytes(TailedFile& file, const char* data, std::size_t len);
  void CloseQuietFiles();

  // inotify.
  void UnwatchUnreached();
  // Reads inotify's events; returns whether one may change what the
  // patterns match (anything but writes).
  bool DrainInotify();

  void Event(TailEvent event, std::string_view path, std::string_view detail = {}) {
    observer->OnEvent(event, path, detail);
  }
  // Reports that `file` is counted up to `committed` (see TailerPositions).
  void Commit(const TailedFile& file, off_t committed) {
    if (positions != nullptr) {
      positions->Commit(KeyOf(file.id), file.path, committed, file.head);
    }
  }

  TailerOptions options;
  TailerObserver* observer;
  TailerPositions* positions;  // null: no saved positions
  FdBudget* budget;            // every open file holds one of its descriptors
  PathExcludes excludes;
  std::vector<PatternState> patterns;
  std::map<FileId, TailedFile> files;
  // Files present at the first scan that could not be opened then: reading
  // starts at the size they had, as it would have had they been readable.
  std::map<FileId, off_t> start_offsets;
  bool started = false;  // the first Poll() has run
  Clock::time_point now;
  std::stop_token stop;  // set while Run() runs, so long reads end early

  // Matching files not opened for lack of a slot, reported once each; and
  // the limit that applied when the last one was skipped.
  std::set<FileId> skipped;
  std::size_t files_limit = 0;
  // Paths reported as not regular files, and whether this scan saw them.
  std::map<std::string, bool, std::less<>> not_regular;

  // Per-scan state, kept to reuse its storage.
  std::vector<Candidate> candidates;
  std::vector<std::string> uncertain;     // dirs/paths that could not be listed/stat'ed
  std::vector<const Candidate*> unknown;  // candidates that are not followed yet

  // Reused read buffer: kFingerprintBytes for the tail check, then one chunk.
  std::vector<char> buffer;
  std::vector<std::string_view> lines;
  std::vector<std::string_view> records;  // `lines` joined by a file's joiner

  int inotify_fd = -1;
  std::map<std::string, Watch, std::less<>> watches;  // by directory
  bool watch_failure_reported = false;                // until a watch succeeds again
};

// ---------------------------------------------------------------------------
// Scanning

void FileTailer::Impl::Scan() {
  candidates.clear();
  uncertain.clear();
  for (auto& [dir, watch] : watches) watch.reached = false;
  for (auto& [path, seen] : not_regular) seen = false;
  for (PatternState& state : patterns) {
    const std::size_t found = candidates.size();
    const std::size_t errors = uncertain.size();
    state.pattern.Walk(*this, options.follow_symlinks);
    ReportPattern(state, candidates.size() - found, uncertain.size() > errors);
  }
  if (inotify_fd >= 0) UnwatchUnreached();
  // Gone, or a file now: reported again should it come back.
  std::erase_if(not_regular, [](const auto& entry) { return !entry.second; });
  // Several patterns may match one path; keep it once.
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  candidates.erase(
      std::unique(candidates.begin(), candidates.end(),
                  [](const Candidate& a, const Candidate& b) { return a.path == b.path; }),
      candidates.end());
}

// Watching before listing: an entry created after the listing wakes Run().
void FileTailer::Impl::OnDirectory(const std::string& dir) {
  if (inotify_fd < 0) return;
  auto it = watches.find(dir);
  if (it != watches.end()) {
    it->second.reached = true;
    return;
  }
  const int wd = inotify_add_watch(inotify_fd, dir.c_str(), kWatchMask);
  if (wd < 0) {
    // ENOENT: gone since the walk saw it. Otherwise (ENOSPC: watches ran
    // out) polling covers it; said once until a watch works again.
    if (errno != ENOENT && !watch_failure_reported) {
      Event(TailEvent::kWatchFailed, dir, ErrorText("inotify_add_watch", errno));
      watch_failure_reported = true;
    }
    return;
  }
  watch_failure_reported = false;
  watches.emplace(dir, Watch{wd, true});
}

void FileTailer::Impl::OnFile(std::string path, const struct stat& st) {
  if (excludes.Excludes(path)) return;
  candidates.push_back(Candidate{std::move(path), IdOf(st), st.st_size});
}

// Never opened (a FIFO's open could block, a device's read never end);
// reported once while it stays.
void FileTailer::Impl::OnNotRegular(const std::string& path, const struct stat& st) {
  if (excludes.Excludes(path)) return;
  auto [it, inserted] = not_regular.emplace(path, true);
  it->second = true;
  if (inserted) Event(TailEvent::kNotRegular, path, KindOf(st));
}

void FileTailer::Impl::OnError(const std::string& path, std::string_view call, int err) {
  Event(TailEvent::kReadError, path, ErrorText(call, err));
  uncertain.push_back(path);
}

// Says when a pattern matches nothing, and when it matches again. A pattern
// that matched is only called empty after rotate_wait without a match, so a
// rotation's moment between rename and create is not reported; a scan that
// could not look everywhere proves nothing and changes nothing.
void FileTailer::Impl::ReportPattern(PatternState& state, std::size_t matched,
                                     bool uncertain_scan) {
  using Reported = PatternState::Reported;
  if (matched > 0) {
    if (state.reported == Reported::kEmpty) {
      Event(TailEvent::kPatternMatching, state.pattern.text(),
            std::to_string(matched) + " file(s)");
    }
    state.reported = Reported::kMatching;
    state.matched_before = true;
    state.empty_now = false;
    return;
  }
  if (uncertain_scan || state.reported == Reported::kEmpty) return;
  if (!state.empty_now) {
    state.empty_now = true;
    state.empty_since = now;
  }
  if (!state.matched_before) {
    Event(TailEvent::kPatternEmpty, state.pattern.text(), "matches no file");
  } else if (now - state.empty_since >= options.rotate_wait) {
    Event(TailEvent::kPatternEmpty, state.pattern.text(), "no longer matches any file");
  } else {
    return;
  }
  state.reported = Reported::kEmpty;
}

// A followed file missing from a scan that could not look where it lives may
// still be there: it must not be taken for rotated.
bool FileTailer::Impl::Uncertain(const TailedFile& file) const {
  const std::string_view path = file.path;
  return std::any_of(uncertain.begin(), uncertain.end(), [&](const std::string& u) {
    return path == u || (path.size() > u.size() && path.starts_with(u) && path[u.size()] == '/');
  });
}

const Candidate* FileTailer::Impl::CandidateAt(std::string_view path) const {
  auto it = std::lower_bound(candidates.begin(), candidates.end(), path,
                             [](const Candidate& c, std::string_view p) { return c.path < p; });
  return it != candidates.end() && it->path == path ? &*it : nullptr;
}

// ---------------------------------------------------------------------------
// Reconciling

void FileTailer::Impl::MatchKnownFiles() {
  unknown.clear();
  for (auto& [id, file] : files) file.seen = false;
  for (const Candidate& candidate : candidates) {
    auto it = files.find(candidate.id);
    if (it == files.end()) {
      unknown.push_back(&candidate);
      continue;
    }
    TailedFile& file = it->second;
    if (file.seen) continue;  // another name (hard link, symlink) of a file already matched
    file.seen = true;
    file.active = true;  // a drained file that came back under a matching name
    if (file.path == candidate.path) continue;
    // Same inode under another matching name: a rename within the glob. Keep
    // the old name if the file is still reachable there (hard links).
    const Candidate* at_old = CandidateAt(file.path);
    if (at_old != nullptr && at_old->id == file.id) continue;
    Event(TailEvent::kRotated, file.path, "renamed to " + candidate.path);
    file.path = candidate.path;
  }
}

void FileTailer::Impl::RetireVanishedFiles() {
  for (auto& [id, file] : files) {
    if (!file.active || file.seen || Uncertain(file)) continue;
    struct stat st;
    if (fstat(file.fd, &st) != 0) {
      Event(TailEvent::kReadError, file.path, ErrorText("fstat", errno));
      continue;
    }
    if (st.st_nlink == 0) {
      Event(TailEvent::kDeleted, file.path);
    } else {
      Event(TailEvent::kRotated, file.path,
            CandidateAt(file.path) != nullptr ? "replaced by a new file" : "moved away");
    }
    file.active = false;
    file.last_growth = now;  // rotate_wait counts from the rotation
  }
}

// Takes a descriptor for `candidate` from max_files and the budget, or
// reports (once per file) that there is none.
bool FileTailer::Impl::TakeSlot(const Candidate& candidate) {
  const bool under_max = files.size() < options.max_files;
  if (under_max && budget->TryAcquire()) return true;
  files_limit = under_max ? files.size() : options.max_files;
  // A file present at the first scan starts, once followed, where it was.
  if (!started && !options.from_beginning) start_offsets.emplace(candidate.id, candidate.size);
  if (skipped.insert(candidate.id).second) {
    Event(TailEvent::kFileSkipped, candidate.path, under_max ? "fd_budget" : "max_files");
  }
  return false;
}

void FileTailer::Impl::OpenNewFile(const Candidate& candidate) {
  if (!TakeSlot(candidate)) return;
  // O_NONBLOCK: the path could have become a FIFO since stat(); never block.
  // O_NOFOLLOW: nor a symbolic link, when they are not followed.
  const int fd = open(candidate.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                                                  (options.follow_symlinks ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    const int err = errno;
    budget->Release();
    if (err == ENOENT || err == ELOOP) return;  // gone, or replaced by a link, since the scan
    Event(TailEvent::kReadError, candidate.path, ErrorText("open", err));
    if (!started && !options.from_beginning) start_offsets.emplace(candidate.id, candidate.size);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || files.count(IdOf(st)) != 0) {
    // Replaced between stat() and open() by something already followed or
    // not a file; the next scan sorts it out.
    close(fd);
    budget->Release();
    return;
  }
  skipped.erase(candidate.id);
  TailedFile file(options);
  file.id = IdOf(st);
  file.fd = fd;
  file.path = candidate.path;
  file.last_growth = now;
  std::string_view detail = "start";
  if (positions != nullptr) {
    const std::optional<off_t> saved = positions->ResumeOffset(fd, KeyOf(file.id), file.path);
    file.offset = std::min<off_t>(saved.value_or(0), st.st_size);
    if (saved) detail = "saved position";
  } else if (!started && !options.from_beginning) {
    file.offset = st.st_size;
    detail = "end";
  } else if (auto it = start_offsets.find(file.id); it != start_offsets.end()) {
    file.offset = std::min<off_t>(it->second, st.st_size);
    detail = "end";
    start_offsets.erase(it);
  }
  file.line_end = file.offset;
  PrimeFingerprints(file);
  auto [it, inserted] = files.emplace(file.id, std::move(file));
  Commit(it->second, it->second.offset);
  Event(TailEvent::kOpened, it->second.path, detail);
}

// Starting mid-file: remember the bytes around the offset like a read would
// have, so truncation is detected from the first Poll on.
void FileTailer::Impl::PrimeFingerprints(TailedFile& file) {
  if (file.offset == 0) return;
  const std::size_t head_len = std::min<off_t>(file.offset, kFingerprintBytes);
  const std::size_t tail_len = head_len;
  file.head.resize(head_len);
  file.tail.resize(tail_len);
  if (pread(file.fd, file.head.data(), head_len, 0) != static_cast<ssize_t>(head_len) ||
      pread(file.fd, file.tail.data(), tail_len, file.offset - static_cast<off_t>(tail_len)) !=
          static_cast<ssize_t>(tail_len)) {
    // Shrank meanwhile: it is a new file as far as we can tell.
    file.offset = 0;
    file.head.clear();
    file.tail.clear();
    return;
  }
  // The writer is in the middle of a line: its start is not ours to report,
  // so the rest of it is skipped rather than delivered as a broken line.
  if (file.tail.back() != '\n') file.framer.SkipRestOfLine();
}

// ---------------------------------------------------------------------------
// Reading

// After a read that was not stopped, every file was read until read() came
// up short: nothing was left as of its last read, and no fstat is needed.
void FileTailer::Impl::ReportStatus(bool after_reading) {
  TailerStatus status;
  status.skipped = skipped.size();
  status.files_limit = files_limit;
  const bool measure = !after_reading || stop.stop_requested();
  for (const auto& [id, file] : files) {
    if (file.active) ++status.files;
    if (!measure) continue;
    struct stat st;
    if (fstat(file.fd, &st) == 0 && st.st_size > file.offset) {
      status.lag_bytes += static_cast<std::uint64_t>(st.st_size - file.offset);
    }
  }
  observer->OnStatus(status);
}

void FileTailer::Impl::ReadAll() {
  // Rotated files first: their lines were written before the new file's.
  for (bool active : {false, true}) {
    for (auto& [id, file] : files) {
      if (file.active == active) ReadFile(file);
    }
  }
}

void FileTailer::Impl::ReadFile(TailedFile& file) {
  const std::size_t chunk = options.read_chunk_bytes;
  while (!stop.stop_requested()) {
    // The remembered tail is re-read with the new bytes in one pread(), so a
    // truncation cannot slip in between checking and reading.
    const std::size_t known = file.tail.size();
    const ssize_t n =
        pread(file.fd, buffer.data(), known + chunk, file.offset - static_cast<off_t>(known));
    if (n < 0) {
      if (errno == EINTR) continue;
      Event(TailEvent::kReadError, file.path, ErrorText("read", errno));
      return;
    }
    const std::size_t got = static_cast<std::size_t>(n);
    if (got < known) {
      Restart(file, "file shrank below the read offset");
      continue;
    }
    if (std::memcmp(buffer.data(), file.tail.data(), known) != 0) {
      Restart(file, "bytes before the read offset changed");
      continue;
    }
    const std::size_t len = got - known;
    if (len == 0) return;
    // Lines of equal length can leave the bytes before the offset unchanged
    // after a rewrite; the file's first bytes are then what differs.
    if (!HeadMatches(file)) {
      Restart(file, "first bytes of the file changed");
      continue;
    }
    file.last_growth = now;
    Consume(file, buffer.data() + known, len);
    if (len < chunk) return;  // reached the end seen by this read
  }
}

bool FileTailer::Impl::HeadMatches(const TailedFile& file) {
  if (file.head.empty()) return true;
  char head[kFingerprintBytes];
  const ssize_t n = pread(file.fd, head, file.head.size(), 0);
  return n == static_cast<ssize_t>(file.head.size()) &&
         std::memcmp(head, file.head.data(), file.head.size()) == 0;
}

// The file was truncated or rewritten in place (copytruncate): read it again
// from its start. A held partial line is dropped: its rest, if the writer had
// written it, went to the copy, and gluing it to new bytes would fabricate a line.
void FileTailer::Impl::Restart(TailedFile& file, std::string_view why) {
  Event(TailEvent::kTruncated, file.path, why);
  // The pending record's lines were complete: it is handed over, not dropped.
  FlushRecord(file, false);
  file.offset = 0;
  file.line_end = 0;
  file.head.clear();
  file.tail.clear();
  file.framer.Reset();
  Commit(file, 0);
}

// Frames `data` into lines and hands them over in one OnLines call, then
// reports the over-long lines it dropped.
void FileTailer::Impl::Consume(TailedFile& file, const char* data, std::size_t len) {
  lines.clear();
  const std::size_t too_long = file.framer.Frame(std::string_view(data, len), lines);
  const off_t start = file.offset;
  RememberBytes(file, data, len);
  Deliver(file, len);
  CommitConsumed(file, data, len, start);
  for (std::size_t i = 0; i < too_long; ++i) {
    Event(TailEvent::kLineTooLong, file.path,
          "a line longer than " + std::to_string(options.max_line_bytes) +
              " bytes (max_line_bytes) was skipped");
  }
}

// Hands over the file's held unterminated line, if any, as a final line, and
// the file's pending record: nothing more will join it.
void FileTailer::Impl::FinishLine(TailedFile& file) {
  lines.clear();
  file.framer.Finish(lines);
  if (!lines.empty()) Deliver(file, 0);
  FlushRecord(file, false);
}

// Hands `lines`, framed from `bytes` of the file, to the observer: as they
// are, or joined into records by the file's joiner.
void FileTailer::Impl::Deliver(TailedFile& file, std::size_t bytes) {
  if (!file.joiner) {
    observer->OnLines(lines, bytes);
    return;
  }
  records.clear();
  file.joiner->Feed(lines, now, records);
  observer->OnLines(records, bytes);
  ReportJoined(file);
}

// Hands over the file's pending record, if any (if idle for flush_after).
void FileTailer::Impl::FlushRecord(TailedFile& file, bool only_if_idle) {
  if (!file.joiner || !file.joiner->pending()) return;
  records.clear();
  if (only_if_idle) {
    file.joiner->FlushIdle(now, records);
  } else {
    file.joiner->Flush(records);
  }
  if (!records.empty()) observer->OnLines(records, 0);
  if (!file.joiner->pending()) Commit(file, file.line_end);
}

// Reports how far `file` is counted once `data`, read at offset `start`, was
// delivered: up to its last line end; or, while a multi-line record is
// pending, up to where that record's first line starts, so that a restart
// reads the whole record again rather than its tail.
void FileTailer::Impl::CommitConsumed(TailedFile& file, const char* data, std::size_t len,
                                      off_t start) {
  const off_t line_end_before = file.line_end;
  const void* nl = memrchr(data, '\n', len);
  if (nl == nullptr) return;  // no line ended: nothing more is counted
  file.line_end = start + (static_cast<const char*>(nl) - data) + 1;
  if (!file.joiner || !file.joiner->pending()) {
    Commit(file, file.line_end);
    return;
  }
  if (const std::size_t first = file.joiner->pending_first_line();
      first != RecordJoiner::kBeganEarlier) {
    // A line begun in an earlier read is the framer's copy, not in `data`:
    // it starts at the line end before this read.
    const char* line = lines[first].data();
    const bool in_data = std::less_equal<>()(data, line) && std::less<>()(line, data + len);
    file.record_start = in_data ? start + (line - data) : line_end_before;
  }
  Commit(file, file.record_start);
}

void FileTailer::Impl::ReportJoined(TailedFile& file) {
  const RecordJoiner::Counts counts = file.joiner->TakeCounts();
  if (!counts.any()) return;
  for (std::uint64_t i = 0; i < counts.cut_max_lines; ++i) {
    Event(TailEvent::kRecordCut, file.path, "max_lines");
  }
  for (std::uint64_t i = 0; i < counts.cut_max_bytes; ++i) {
    Event(TailEvent::kRecordCut, file.path, "max_bytes");
  }
  for (std::uint64_t i = 0; i < counts.without_start; ++i) {
    Event(TailEvent::kNoStartLine, file.path);
  }
}

void FileTailer::Impl::RememberBytes(TailedFile& file, const char* data, std::size_t len) {
  if (file.head.size() < kFingerprintBytes) {
    file.head.append(data, std::min(len, kFingerprintBytes - file.head.size()));
  }
  if (len >= kFingerprintBytes) {
    file.tail.assign(data + len - kFingerprintBytes, kFingerprintBytes);
  } else {
    file.tail.append(data, len);
    if (file.tail.size() > kFingerprintBytes) {
      file.tail.erase(0, file.tail.size() - kFingerprintBytes);
    }
  }
  file.offset += static_cast<off_t>(len);
}

void FileTailer::Impl::CloseQuietFiles() {
  for (auto it = files.begin(); it != files.end();) {
    TailedFile& file = it->second;
    if (file.active || now - file.last_growth < options.rotate_wait) {
      ++it;
      continue;
    }
    // Nobody writes to it any more, so its unterminated last line is final.
    FinishLine(file);
    Commit(file, file.offset);
    if (positions != nullptr) positions->Close(KeyOf(file.id));
    close(file.fd);
    budget->Release();
    const std::string path = std::move(file.path);
    it = files.erase(it);
    Event(TailEvent::kClosed, path);
  }
}

// ---------------------------------------------------------------------------
// Polling

void FileTailer::Impl::Poll() {
  now = Clock::now();
  Scan();
  MatchKnownFiles();
  RetireVanishedFiles();
  for (const Candidate* candidate : unknown) OpenNewFile(*candidate);
  ForgetGoneFiles();
  started = true;
  ReadPass();
}

// Start offsets and skips of files no scan finds any more.
void FileTailer::Impl::ForgetGoneFiles() {
  if (start_offsets.empty() && skipped.empty()) return;
  std::set<FileId> present;
  for (const Candidate& c : candidates) present.insert(c.id);
  std::erase_if(start_offsets, [&](const auto& entry) { return !present.contains(entry.first); });
  std::erase_if(skipped, [&](const FileId& id) { return !present.contains(id); });
}

// Before reading: the lag this pass found. After: what is left (nothing,
// unless writers outran the reads), and the files once drained ones closed.
void FileTailer::Impl::ReadPass() {
  now = Clock::now();
  ReportStatus(/*after_reading=*/false);
  ReadAll();
  for (auto& [id, file] : files) FlushRecord(file, true);
  CloseQuietFiles();
  ReportStatus(/*after_reading=*/true);
}

// Poll() must not throw (the observer or an allocation might); what is
// caught is reported like any other error and the next Poll() carries on.
void FileTailer::Impl::PollNoThrow(bool scan) {
  try {
    if (scan) {
      Poll();
    } else {
      ReadPass();
    }
  } catch (const std::exception& e) {
    try {
      Event(TailEvent::kReadError, "", e.what());
    } catch (...) {
    }
  } catch (...) {
  }
}

void FileTailer::Impl::FlushPartialLines() {
  for (auto& [id, file] : files) FinishLine(file);
}

// Directories the patterns no longer reach (renamed away, or a missing fixed
// directory's ancestor once the directory exists) are not watched any more.
// One directory reached under two names has one watch descriptor: it stays
// while either name is reached.
void FileTailer::Impl::UnwatchUnreached() {
  std::set<int> kept;
  for (const auto& [dir, watch] : watches) {
    if (watch.reached) kept.insert(watch.wd);
  }
  std::erase_if(watches, [&](const auto& entry) {
    const Watch& watch = entry.second;
    if (watch.reached) return false;
    if (kept.count(watch.wd) == 0) inotify_rm_watch(inotify_fd, watch.wd);
    return true;
  });
}

bool FileTailer::Impl::DrainInotify() {
  alignas(inotify_event) char events[4096];
  bool changed = false;
  while (true) {
    const ssize_t n = read(inotify_fd, events, sizeof(events));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return changed;  // EAGAIN: drained
    }
    for (ssize_t pos = 0; pos < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events + pos);
      // Writes to files (copytruncate included) only need a read; anything
      // else (created, moved, deleted, permissions, a queue overflow) may
      // change what the patterns match.
      if ((event->mask & ~static_cast<uint32_t>(IN_MODIFY | IN_CLOSE_WRITE | IN_ISDIR)) != 0) {
        changed = true;
      }
      if (event->mask & IN_IGNORED) {
        // The directory went away; watch it again once it is back.
        std::erase_if(watches, [&](const auto& w) { return w.second.wd == event->wd; });
      }
      pos += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

void FileTailer::Impl::Run(std::stop_token stop_token) {
  stop = stop_token;
  inotify_fd = options.inotify ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
  if (inotify_fd < 0 && options.inotify) {
    Event(TailEvent::kReadError, "", ErrorText("inotify_init1 (polling instead)", errno));
  }
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  auto timeout = options.poll_interval;
  if (wake_fd < 0) {
    // Without a wake-up fd a stop request is only noticed on timeout.
    timeout = std::min(timeout, std::chrono::milliseconds(50));
  }
  const int timeout_ms =
      static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, int64_t{24} * 3600 * 1000));
  {
    std::stop_callback on_stop(stop_token, [wake_fd] {
      if (wake_fd < 0) return;
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t ignored = write(wake_fd, &one, sizeof(one));
    });
    // A writer's every append wakes the tailer: it reads. The patterns are
    // walked again when inotify reports a change of directory entries, and
    // every poll_interval whatever it reports.
    bool scan = true;
    Clock::time_point last_scan;
    while (!stop_token.stop_requested()) {
      scan = scan || Clock::now() - last_scan >= options.poll_interval;
      if (scan) last_scan = Clock::now();
      PollNoThrow(scan);
      FirstPassDone();
      if (stop_token.stop_requested()) break;
      pollfd fds[2];
      nfds_t count = 0;
      if (wake_fd >= 0) fds[count++] = pollfd{wake_fd, POLLIN, 0};
      const nfds_t inotify_index = count;
      if (inotify_fd >= 0) fds[count++] = pollfd{inotify_fd, POLLIN, 0};
      const int ready = poll(fds, count, timeout_ms);
      scan = ready == 0;  // poll_interval passed quietly
      if (ready > 0 && inotify_fd >= 0 && (fds[inotify_index].revents & POLLIN)) {
        scan = DrainInotify();
      }
    }
  }
  // Stopping ends the records being joined: they are handed over, not lost.
  // What the observer throws is dropped, as Run may not throw.
  try {
    for (auto& [id, file] : files) FlushRecord(file, false);
  } catch (...) {
  }
  if (wake_fd >= 0) close(wake_fd);
  if (inotify_fd >= 0) close(inotify_fd);  // drops every watch
  inotify_fd = -1;
  watches.clear();
  stop = std::stop_token();
}

// ---------------------------------------------------------------------------
// Public API

FileTailer::FileTailer(TailerOptions options, TailerObserver* observer, TailerPositions* positions,
                       FdBudget* budget)
    : impl_(std::make_unique<Impl>(std::move(options), observer, positions, budget)) {}

FileTailer::~FileTailer() = default;

void FileTailer::Poll() { impl_->PollNoThrow(/*scan=*/true); }

void FileTailer::FlushPartialLines() {
  try {
    impl_->FlushPartialLines();
  } catch (...) {
  }
}

void FileTailer::Impl::FirstPassDone() {
  {
    std::lock_guard lock(first_pass_mu);
    if (first_pass_done) return;
    first_pass_done = true;
  }
  first_pass_cv.notify_all();
}

void FileTailer::Run(std::stop_token stop) { impl_->Run(std::move(stop)); }

bool FileTailer::WaitFirstPass(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->first_pass_mu);
  return impl_->first_pass_cv.wait_for(lock, timeout, [this] { return impl_->first_pass_done; });
}

}  // namespace metrics_adapter
