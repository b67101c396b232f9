// FileTailer stepped with Poll(): every test is deterministic (no sleeps, no
// threads) except the last two, which check Run()'s inotify wake-up and stop
// with bounded waits.
#include "adapter/sources/file_tailer.h"
#include "test/unit/temp_dir.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace metrics_adapter {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

void WriteRaw(const std::string& path, std::string_view data, int flags) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  close(fd);
}
void Append(const std::string& path, std::string_view data) { WriteRaw(path, data, O_APPEND); }
void Rewrite(const std::string& path, std::string_view data) { WriteRaw(path, data, O_TRUNC); }

struct Event {
  TailEvent event;
  std::string path;
  std::string detail;
};

class Recorder : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view> batch, std::size_t bytes_read) override {
    for (std::string_view line : batch) lines.emplace_back(line);
    bytes += bytes_read;
    ++calls;
    if (on_lines) on_lines();
  }
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override {
    events.push_back(Event{event, std::string(path), std::string(detail)});
  }

  // Lines since the last call.
  std::vector<std::string> Take() {
    std::vector<std::string> out;
    out.swap(lines);
    return out;
  }
  int Count(TailEvent event) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const Event& e) { return e.event == event; }));
  }
  const Event* Find(TailEvent event) const {
    auto it = std::find_if(events.begin(), events.end(),
                           [&](const Event& e) { return e.event == event; });
    return it == events.end() ? nullptr : &*it;
  }

  std::vector<std::string> lines;
  std::vector<Event> events;
  std::size_t bytes = 0;
  int calls = 0;
  std::function<void()> on_lines;
};

using Lines = std::vector<std::string>;

TailerOptions Options(std::string pattern) {
  TailerOptions options;
  options.paths = {std::move(pattern)};
  options.rotate_wait = std::chrono::hours(1);  // tests close files by setting 0
  return options;
}

// Permission bits do not stop root (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH).
// Capabilities are per thread, so dropping them from this thread's effective
// set (keeping them permitted, to restore later) makes the kernel check the
// bits for the tailer's syscalls, which run on this thread, as for any user.
class DropDacOverride {
 public:
  DropDacOverride() {
    if (geteuid() != 0) {
      ok_ = true;  // permission bits already apply
      return;
    }
    header_ = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    ok_ = syscall(SYS_capset, &header_, reduced) == 0;
    dropped_ = ok_;
  }
  ~DropDacOverride() {
    if (dropped_) syscall(SYS_capset, &header_, saved_);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  bool dropped_ = false;
  __user_cap_header_struct header_{};
  __user_cap_data_struct saved_[2]{};
};

TEST_CASE("TailEventName names every event") {
  CHECK(TailEventName(TailEvent::kOpened) == "opened");
  CHECK(TailEventName(TailEvent::kRotated) == "rotated");
  CHECK(TailEventName(TailEvent::kTruncated) == "truncated");
  CHECK(TailEventName(TailEvent::kDeleted) == "deleted");
  CHECK(TailEventName(TailEvent::kClosed) == "closed");
  CHECK(TailEventName(TailEvent::kLineTooLong) == "line_too_long");
  CHECK(TailEventName(TailEvent::kReadError) == "read_error");
  CHECK(TailEventName(TailEvent::kRecordCut) == "record_cut");
  CHECK(TailEventName(TailEvent::kNoStartLine) == "no_start_line");
}

TEST_CASE("existing files are read from their end by default") {
  TempDir dir;
  Append(dir / "app.log", "old 1\nold 2\n");
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  CHECK(rec.Take().empty());
  REQUIRE(rec.Find(TailEvent::kOpened) != nullptr);
  CHECK(rec.Find(TailEvent::kOpened)->detail == "end");
  Append(dir / "app.log", "new 1\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"new 1"});
}

TEST_CASE("starting at the end mid-line skips the rest of that line") {
  TempDir dir;
  Append(dir / "app.log", "old 1\nold 2 first half");
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", " second half\nnew 1\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"new 1"});
  CHECK(rec.Count(TailEvent::kLineTooLong) == 0);
}

TEST_CASE("from_beginning reads existing files from their start") {
  TempDir dir;
  Append(dir / "app.log", "old 1\nold 2\n");
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.from_beginning = true;
  FileTailer tailer(options, &rec);
  tailer.Poll();
  CHECK(rec.Take() == Lines{"old 1", "old 2"});
  CHECK(rec.Find(TailEvent::kOpened)->detail == "start");
  CHECK(rec.bytes == 12);
}

TEST_CASE("an empty file yields nothing and no error") {
  TempDir dir;
  Append(dir / "app.log", "");
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.from_beginning = true;
  FileTailer tailer(options, &rec);
  tailer.Poll();
  tailer.Poll();
  tailer.FlushPartialLines();
  CHECK(rec.lines.empty());
  CHECK(rec.Count(TailEvent::kOpened) == 1);
  CHECK(rec.Count(TailEvent::kReadError) == 0);
  CHECK(rec.bytes == 0);
}

TEST_CASE("a partial line is held until its newline arrives") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "*.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", "abc");
  tailer.Poll();
  CHECK(rec.Take().empty());
  CHECK(rec.bytes == 3);  // counted when read, even with no line complete
  Append(dir / "app.log", "def");
  tailer.Poll();
  CHECK(rec.Take().empty());
  Append(dir / "app.log", "\nghi\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"abcdef", "ghi"});
  CHECK(rec.bytes == 11);
}

TEST_CASE("FlushPartialLines hands over held lines once; a file may never end in a newline") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.from_beginning = true;
  Append(dir / "app.log", "a\nb\nc");
  FileTailer tailer(options, &rec);
  tailer.Poll();
  CHECK(rec.Take() == Lines{"a", "b"});
  tailer.FlushPartialLines();
  CHECK(rec.Take() == Lines{"c"});
  tailer.FlushPartialLines();
  tailer.Poll();
  CHECK(rec.Take().empty());
  CHECK(rec.bytes == 5);
}

TEST_CASE(
    "CR before LF is removed, as every source removes it; NUL and non-UTF-8 bytes pass through") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.from_beginning = true;
  const std::string junk("bin\0ary\xff\xfe\x01 x", 13);
  Append(dir / "app.log", "dos line\r\n" + junk + "\n\r\n\n");
  FileTailer tailer(options, &rec);
  tailer.Poll();
  CHECK(rec.Take() == Lines{"dos line", junk, "", ""});
}

TEST_CASE("lines are framed the same for every read chunk size") {
  TempDir dir;
  std::string content;
  Lines expected;
  for (int i = 0; i < 200; ++i) {
    std::string line = "line " + std::to_string(i) + std::string(i % 17, 'x');
    content += line + "\n";
    expected.push_back(line);
  }
  Append(dir / "app.log", content);
  for (std::size_t chunk : {1, 2, 3, 7, 64, 65, 100, 4096}) {
    CAPTURE(chunk);
    Recorder rec;
    TailerOptions options = Options(dir / "app.log");
    options.from_beginning = true;
    options.read_chunk_bytes = chunk;
    FileTailer tailer(options, &rec);
    tailer.Poll();
    CHECK(rec.lines == expected);
    CHECK(rec.bytes == content.size());
  }
}

TEST_CASE("an over-long line is skipped and reported once; the next line is delivered") {
  for (std::size_t chunk : {3, 4, 11, 1 << 16}) {
    CAPTURE(chunk);
    TempDir dir;
    Recorder rec;
    TailerOptions options = Options(dir / "app.log");
    options.from_beginning = true;
    options.max_line_bytes = 10;
    options.read_chunk_bytes = chunk;
    FileTailer tailer(options, &rec);
    tailer.Poll();
    const std::string content = "short\n" + std::string(30, 'x') + "\nnext\n0123456789\n" +
                                std::string(11, 'y') + "\nlast\n";
    Append(dir / "app.log", content);
    tailer.Poll();
    CHECK(rec.Take() == Lines{"short", "next", "0123456789", "last"});
    CHECK(rec.Count(TailEvent::kLineTooLong) == 2);
    CHECK(rec.bytes == content.size());

    // One long line arriving over several polls is still one report.
    Append(dir / "app.log", std::string(8, 'z'));
    tailer.Poll();
    Append(dir / "app.log", std::string(8, 'z'));
    tailer.Poll();
    Append(dir / "app.log", std::string(20, 'z'));
    tailer.Poll();
    Append(dir / "app.log", "zz\nafter\n");
    tailer.Poll();
    CHECK(rec.Take() == Lines{"after"});
    CHECK(rec.Count(TailEvent::kLineTooLong) == 3);
  }
}

TEST_CASE("a file created after start is picked up by the glob and read from its start") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "*.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", "first\nsecond\n");
  Append(dir / "other.txt", "not matched\n");
  Append(dir / ".hidden.log", "dot files are not matched, as with glob(3)\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"first", "second"});
  REQUIRE(rec.Find(TailEvent::kOpened) != nullptr);
  CHECK(rec.Find(TailEvent::kOpened)->detail == "start");
  CHECK(rec.Find(TailEvent::kOpened)->path == dir / "app.log");
}

TEST_CASE("a missing directory is not an error and is picked up when it appears") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "later/*.log"), &rec);
  tailer.Poll();
  CHECK(rec.events.empty());
  fs::create_directory(dir / "later");
  Append(dir / "later/app.log", "hello\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"hello"});
}

TEST_CASE("a file matched by two patterns is read once") {
  TempDir dir;
  Recorder rec;
  TailerOptions options;
  options.paths = {dir / "app.log", dir / "*.log", dir / "app.*"};
  FileTailer tailer(options, &rec);
  tailer.Poll();
  Append(dir / "app.log", "once\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"once"});
  CHECK(rec.Count(TailEvent::kOpened) == 1);
}

TEST_CASE("rename + create: the renamed file is drained, the new one read from start") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.from_beginning = true;
  FileTailer tailer(options, &rec);
  Append(dir / "app.log", "1\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"1"});

  Append(dir / "app.log", "2\n");
  fs::rename(dir / "app.log", dir / "app.log.1");
  Append(dir / "app.log.1", "3\n");  // the writer has not reopened yet
  Append(dir / "app.log", "4\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"2", "3", "4"});  // old file first
  const Event* rotated = rec.Find(TailEvent::kRotated);
  REQUIRE(rotated != nullptr);
  CHECK(rotated->path == dir / "app.log");
  CHECK(rec.Count(TailEvent::kOpened) == 2);

  // Still open during rotate_wait: late writes to the old file are read.
  Append(dir / "app.log.1", "5\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"5"});
  CHECK(rec.Count(TailEvent::kClosed) == 0);
}

TEST_CASE("a rotated file is closed once quiet for rotate_wait; its last partial line is final") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.rotate_wait = milliseconds(0);
  FileTailer tailer(options, &rec);
  tailer.Poll();
  Append(dir / "app.log", "1\nunterminated");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"1"});
  fs::rename(dir / "app.log", dir / "app.log.1");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"unterminated"});
  REQUIRE(rec.Count(TailEvent::kClosed) == 1);
  CHECK(rec.Find(TailEvent::kClosed)->path == dir / "app.log");
  Append(dir / "app.log.1", "after close, not followed\n");
  tailer.Poll();
  CHECK(rec.Take().empty());
}

TEST_CASE("a rename to a name that still matches the glob is not read twice") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log*"), &rec);
  tailer.Poll();
  Append(dir / "app.log", "1\n2\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"1", "2"});

  fs::rename(dir / "app.log", dir / "app.log.1");
  Append(dir / "app.log.1", "3\n");
  Append(dir / "app.log", "4\n");
  tailer.Poll();
  Lines got = rec.Take();
  std::sort(got.begin(), got.end());
  CHECK(got == Lines{"3", "4"});
  const Event* rotated = rec.Find(TailEvent::kRotated);
  REQUIRE(rotated != nullptr);
  CHECK(rotated->detail == "renamed to " + dir / "app.log.1");
  CHECK(rec.Count(TailEvent::kDeleted) == 0);

  // logrotate-style shift: every name still matches, nothing is re-read.
  fs::rename(dir / "app.log.1", dir / "app.log.2");
  fs::rename(dir / "app.log", dir / "app.log.1");
  Append(dir / "app.log", "5\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"5"});
  tailer.Poll();
  CHECK(rec.Take().empty());
}

TEST_CASE("a file reachable under two names (hard link) is read once") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "*.log"), &rec);
  tailer.Poll();
  Append(dir / "b.log", "1\n");
  fs::create_hard_link(dir / "b.log", dir / "a.log");
  tailer.Poll();
  Append(dir / "a.log", "2\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"1", "2"});
  CHECK(rec.Count(TailEvent::kOpened) == 1);
  CHECK(rec.Count(TailEvent::kRotated) == 0);
}

TEST_CASE("copytruncate: truncated below the offset, read again from the start") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", "a\nb\nhalf");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"a", "b"});
  fs::copy_file(dir / "app.log", dir / "app.log.1");
  fs::resize_file(dir / "app.log", 0);
  Append(dir / "app.log", "c\n");
  tailer.Poll();
  // The held "half" is dropped, not glued to "c".
  CHECK(rec.Take() == Lines{"c"});
  CHECK(rec.Count(TailEvent::kTruncated) == 1);
  CHECK(rec.Count(TailEvent::kRotated) == 0);
}

TEST_CASE("copytruncate: rewritten past the old offset is noticed from the bytes before it") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", "line 1\nline 2\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"line 1", "line 2"});
  // Truncated and rewritten before the next Poll, to more than was read.
  Rewrite(dir / "app.log", "line 3\nline 4\nline 5\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"line 3", "line 4", "line 5"});
  CHECK(rec.Count(TailEvent::kTruncated) == 1);
  tailer.Poll();
  CHECK(rec.Take().empty());
}

TEST_CASE("copytruncate: equal-length lines with equal tails are noticed from the head") {
  // The last 64 bytes before the offset are the same in old and new content
  // (same length, differing only at the start of each line); the first bytes
  // of the file differ.
  auto line = [](int n) { return std::to_string(n) + std::string(100, '.'); };
  TempDir dir;
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  Append(dir / "app.log", line(1) + "\n" + line(2) + "\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{line(1), line(2)});
  Rewrite(dir / "app.log", line(3) + "\n" + line(4) + "\n" + line(5) + "\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{line(3), line(4), line(5)});
  CHECK(rec.Count(TailEvent::kTruncated) == 1);
}

TEST_CASE("copytruncate of a file started at its end is noticed") {
  TempDir dir;
  Append(dir / "app.log", "old 1\nold 2\n");
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  tailer.Poll();
  Rewrite(dir / "app.log", "new 1\nnew 2\nnew 3\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"new 1", "new 2", "new 3"});
  CHECK(rec.Count(TailEvent::kTruncated) == 1);
}

TEST_CASE("delete + recreate: the deleted file is drained and closed, the new one read") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.rotate_wait = milliseconds(0);
  FileTailer tailer(options, &rec);
  tailer.Poll();
  Append(dir / "app.log", "1\n");
  tailer.Poll();
  Append(dir / "app.log", "2\n");
  fs::remove(dir / "app.log");
  Append(dir / "app.log", "3\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"1", "2", "3"});
  CHECK(rec.Count(TailEvent::kDeleted) == 1);
  CHECK(rec.Count(TailEvent::kClosed) == 1);
  CHECK(rec.Count(TailEvent::kOpened) == 2);
  Append(dir / "app.log", "4\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"4"});
}

TEST_CASE("a file deleted in the middle of a read is read to its end") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = Options(dir / "app.log");
  options.read_chunk_bytes = 8;
  FileTailer tailer(options, &rec);
  tailer.Poll();
  Lines expected;
  std::string content;
  for (int i = 0; i < 20; ++i) {
    expected.push_back("line " + std::to_string(i));
    content += expected.back() + "\n";
  }
  Append(dir / "app.log", content);
  // Unlinked right after the first chunk is handed over.
  rec.on_lines = [&] {
    std::error_code ec;
    fs::remove(dir / "app.log", ec);
  };
  tailer.Poll();
  rec.on_lines = nullptr;
  tailer.Poll();
  CHECK(rec.Take() == expected);
  CHECK(rec.Count(TailEvent::kDeleted) == 1);
}

TEST_CASE("a file that disappears and comes back") {
  TempDir dir;
  fs::create_directory(dir / "logs");
  Recorder rec;
  TailerOptions options = Options(dir / "logs/app.log");
  options.from_beginning = true;

  SUBCASE("moved away and back: the same file, not re-read") {
    FileTailer tailer(options, &rec);
    Append(dir / "logs/app.log", "1\n");
    tailer.Poll();
    fs::rename(dir / "logs/app.log", dir / "aside.log");
    Append(dir / "aside.log", "2\n");
    tailer.Poll();
    CHECK(rec.Find(TailEvent::kRotated) != nullptr);
    fs::rename(dir / "aside.log", dir / "logs/app.log");
    Append(dir / "logs/app.log", "3\n");
    tailer.Poll();
    CHECK(rec.Take() == Lines{"1", "2", "3"});
    CHECK(rec.Count(TailEvent::kOpened) == 1);
  }
  SUBCASE("deleted and closed, then a new file: read from its start") {
    options.rotate_wait = milliseconds(0);
    FileTailer tailer(options, &rec);
    Append(dir / "logs/app.log", "1\n");
    tailer.Poll();
    fs::remove(dir / "logs/app.log");
    tailer.Poll();
    CHECK(rec.Count(TailEvent::kClosed) == 1);
    tailer.Poll();
    Append(dir / "logs/app.log", "2\n");
    tailer.Poll();
    CHECK(rec.Take() == Lines{"1", "2"});
    CHECK(rec.Count(TailEvent::kOpened) == 2);
  }
  SUBCASE("the whole directory removed and re-created") {
    options.rotate_wait = milliseconds(0);
    FileTailer tailer(options, &rec);
    Append(dir / "logs/app.log", "1\n");
    tailer.Poll();
    fs::remove_all(dir / "logs");
    tailer.Poll();
    CHECK(rec.Count(TailEvent::kDeleted) == 1);
    CHECK(rec.Count(TailEvent::kReadError) == 0);
    fs::create_directory(dir / "logs");
    Append(dir / "logs/app.log", "2\n");
    tailer.Poll();
    CHECK(rec.Take() == Lines{"1", "2"});
  }
}

// The permission tests check that the tailer's own open()/opendir() failing
// with EACCES is reported and retried. As root they drop the DAC override
// capabilities from this thread (see DropDacOverride) so that they really fail.
TEST_CASE("a file without read permission: reported, retried, read after chmod") {
  TempDir dir;
  Append(dir / "app.log", "before start\n");
  chmod((dir / "app.log").c_str(), 0200);
  Recorder rec;
  FileTailer tailer(Options(dir / "app.log"), &rec);
  {
    DropDacOverride as_user;
    if (!as_user.ok()) {
      MESSAGE("cannot drop CAP_DAC_OVERRIDE here; permission test skipped");
      return;
    }
    tailer.Poll();
    const Event* error = rec.Find(TailEvent::kReadError);
    REQUIRE(error != nullptr);
    CHECK(error->path == dir / "app.log");
    CHECK(error->detail == "open: Permission denied");
    Append(dir / "app.log", "while unreadable\n");
    tailer.Poll();  // no crash, reported again
    CHECK(rec.Count(TailEvent::kReadError) == 2);
    chmod((dir / "app.log").c_str(), 0644);
    Append(dir / "app.log", "after chmod\n");
    tailer.Poll();
  }
  // Present at start, so read from the size it had then.
  CHECK(rec.Take() == Lines{"while unreadable", "after chmod"});
  CHECK(rec.Find(TailEvent::kOpened)->detail == "end");
}

TEST_CASE("a directory without read permission: reported, retried, listed after chmod") {
  TempDir dir;
  fs::create_directory(dir / "logs");
  Append(dir / "logs/a.log", "1\n");
  Recorder rec;
  FileTailer tailer(Options(dir / "logs/*.log"), &rec);
  {
    DropDacOverride as_user;
    if (!as_user.ok()) {
      MESSAGE("cannot drop CAP_DAC_OVERRIDE here; permission test skipped");
      return;
    }
    chmod((dir / "logs").c_str(), 0300);  // search, but no listing
    tailer.Poll();
    const Event* error = rec.Find(TailEvent::kReadError);
    REQUIRE(error != nullptr);
    CHECK(error->path == dir / "logs");
    CHECK(error->detail == "opendir: Permission denied");
    chmod((dir / "logs").c_str(), 0755);
    tailer.Poll();
    // Not seen at start, so read from its start.
    CHECK(rec.Take() == Lines{"1"});

    // A followed file whose directory becomes unlistable is not taken for
    // rotated away: its fd still works.
    chmod((dir / "logs").c_str(), 0300);
    Append(dir / "logs/a.log", "2\n");
    tailer.Poll();
    CHECK(rec.Take() == Lines{"2"});
    CHECK(rec.Count(TailEvent::kRotated) == 0);
    CHECK(rec.Count(TailEvent::kDeleted) == 0);
    chmod((dir / "logs").c_str(), 0755);
  }
}

// Run(): inotify must wake the tailer long before poll_interval (1 h here),
// and a stop request must end Run() promptly. Both waits are bounded.
TEST_CASE("Run wakes on inotify and returns promptly on stop") {
  TempDir dir;
  struct Counting : TailerObserver {
    void OnLines(std::span<const std::string_view> lines, std::size_t) override {
      count += lines.size();
    }
    void OnEvent(TailEvent, std::string_view, std::string_view) override {}
    std::atomic<std::size_t> count{0};
  } observer;
  TailerOptions options = Options(dir / "*.log");
  options.poll_interval = std::chrono::hours(1);
  options.from_beginning = true;  // whether Run's first Poll sees the file or not
  FileTailer tailer(options, &observer);
  std::jthread runner([&](std::stop_token stop) { tailer.Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int written = 0;
  while (observer.count < 3 && std::chrono::steady_clock::now() < deadline) {
    if (written < 3) {
      Append(dir / "app.log", "x\n");
      ++written;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(observer.count == 3);
  const auto stop_start = std::chrono::steady_clock::now();
  runner.request_stop();
  runner.join();
  CHECK(std::chrono::steady_clock::now() - stop_start < std::chrono::seconds(1));
}

// multiline: records are joined per followed file, so rotation and
// truncation never glue two files' lines; a pending record is handed over
// when its file closes or is truncated, when idle, and at the end of input.
TailerOptions MultilineTailer(const std::string& path, std::string start) {
  TailerOptions options = Options(path);
  options.from_beginning = true;
  MultilineOptions multiline;
  multiline.pattern = std::move(start);
  multiline.flush_after = std::chrono::hours(1);
  options.multiline = multiline;
  return options;
}

TEST_CASE("multiline: a record spans reads and is handed over when the next one starts") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = MultilineTailer(dir / "app.log", "^S");
  options.read_chunk_bytes = 3;  // records and lines across reads
  FileTailer tailer(options, &rec);
  Append(dir / "app.log", "S1\r\nab\nc\n");
  tailer.Poll();
  CHECK(rec.Take().empty());
  Append(dir / "app.log", "S2\nd");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"S1\nab\nc"});  // CR stripped per line
  tailer.FlushPartialLines();  // end of input in `once`: the partial line, then the record
  CHECK(rec.Take() == Lines{"S2\nd"});
  CHECK(rec.bytes == fs::file_size(dir / "app.log"));
  CHECK(rec.Count(TailEvent::kNoStartLine) == 0);
}

TEST_CASE("multiline: rename rotation never joins the old file's record with the new file") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = MultilineTailer(dir / "app.log", "^S");
  options.rotate_wait = milliseconds(0);
  FileTailer tailer(options, &rec);
  Append(dir / "app.log", "S1\na\n");
  tailer.Poll();
  CHECK(rec.Take().empty());
  fs::rename(dir / "app.log", dir / "app.log.1");
  Append(dir / "app.log", "b\nS2\nc\n");
  tailer.Poll();
  // The new file's first line begins a record of its own; the old file's
  // record ends when that file is closed.
  CHECK(rec.Take() == Lines{"b", "S1\na"});
  CHECK(rec.Count(TailEvent::kClosed) == 1);
  CHECK(rec.Count(TailEvent::kNoStartLine) == 1);
  tailer.FlushPartialLines();
  CHECK(rec.Take() == Lines{"S2\nc"});
  CHECK(rec.bytes == fs::file_size(dir / "app.log") + fs::file_size(dir / "app.log.1"));
}

TEST_CASE("multiline: a deleted file's pending record is handed over when it is closed") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = MultilineTailer(dir / "app.log", "^S");
  options.rotate_wait = milliseconds(0);
  FileTailer tailer(options, &rec);
  Append(dir / "app.log", "S1\na\n");
  tailer.Poll();
  fs::remove(dir / "app.log");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"S1\na"});
  CHECK(rec.Count(TailEvent::kDeleted) == 1);
}

TEST_CASE("multiline: truncation hands over the pending record, then reads from the start") {
  TempDir dir;
  Recorder rec;
  FileTailer tailer(MultilineTailer(dir / "app.log", "^S"), &rec);
  Append(dir / "app.log", "S1\na\nb\n");
  tailer.Poll();
  CHECK(rec.Take().empty());
  Rewrite(dir / "app.log", "c\nS2\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"S1\na\nb", "c"});
  CHECK(rec.Count(TailEvent::kTruncated) == 1);
  tailer.FlushPartialLines();
  CHECK(rec.Take() == Lines{"S2"});
}

TEST_CASE("multiline: an idle record is handed over by the first Poll after flush_after") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = MultilineTailer(dir / "app.log", "^S");
  FileTailer waits(options, &rec);  // flush_after 1h
  options.multiline->flush_after = milliseconds(1);
  FileTailer flushes(options, &rec);
  Append(dir / "app.log", "S1\na\n");
  waits.Poll();
  flushes.Poll();
  CHECK(rec.Take().empty());
  // Sleeping only makes sure flush_after has passed: no race to lose.
  std::this_thread::sleep_for(milliseconds(5));
  waits.Poll();
  CHECK(rec.Take().empty());
  flushes.Poll();
  CHECK(rec.Take() == Lines{"S1\na"});
}

TEST_CASE("multiline: cut records are reported with their reason; the file reads on") {
  TempDir dir;
  Recorder rec;
  TailerOptions options = MultilineTailer(dir / "app.log", "^S");
  options.multiline->max_lines = 2;
  FileTailer tailer(options, &rec);
  Append(dir / "app.log", "S1\na\nb\nc\nS2\nd\n");
  tailer.Poll();
  tailer.FlushPartialLines();
  CHECK(rec.Take() == Lines{"S1\na", "S2\nd"});
  const Event* cut = rec.Find(TailEvent::kRecordCut);
  REQUIRE(cut != nullptr);
  CHECK(cut->detail == "max_lines");
  CHECK(cut->path == dir / "app.log");
  CHECK(rec.Count(TailEvent::kRecordCut) == 1);
  CHECK(rec.bytes == fs::file_size(dir / "app.log"));
}

TEST_CASE("multiline: stopping Run hands over the pending record") {
  TempDir dir;
  struct Collecting : TailerObserver {
    void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override {
      std::lock_guard<std::mutex> lock(mu);
      records.insert(records.end(), lines.begin(), lines.end());
      read += bytes;
    }
    void OnEvent(TailEvent, std::string_view, std::string_view) override {}
    std::size_t Read() {
      std::lock_guard<std::mutex> lock(mu);
      return read;
    }
    std::mutex mu;
    std::vector<std::string> records;
    std::size_t read = 0;
  } observer;
  Append(dir / "app.log", "S1\na\n");
  FileTailer tailer(MultilineTailer(dir / "app.log", "^S"), &observer);
  std::jthread runner([&](std::stop_token stop) { tailer.Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (observer.Read() < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  REQUIRE(observer.Read() == 5);
  runner.request_stop();
  runner.join();
  CHECK(observer.records == std::vector<std::string>{"S1\na"});
}

}  // namespace
}  // namespace metrics_adapter
