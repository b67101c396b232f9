// Tailing hazards with a real writer process: FileTailer::Run follows files
// in a thread while log_writer (LOG_WRITER_PATH) appends numbered lines and
// rotates. After the writer exits, the test waits (bounded, polling) for the
// expected number of lines, stops the tailer, runs one more Poll() to catch
// anything late (a duplicate would show up there), and checks every line
// number was seen exactly once.
//
// Waiting is always polling with a bound; no test sleeps "long enough".
//
// With METRICS_ADAPTER_TEST_THREADS=N above 1 (ctest's tailer_hazards_threads),
// every line the tailer hands over first goes through the multi-threaded match
// path of a streamed source (ParallelMatcher on N MatchWorkers threads, a rule
// whose one label is the whole line) and is counted from the updates that path
// applies, in order: the same exact counts, through the threads.
#include "adapter/pipeline/parallel_matcher.h"
#include "adapter/sources/file_tailer.h"
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef LOG_WRITER_PATH
#error "LOG_WRITER_PATH must name the log_writer binary"
#endif

extern char** environ;

namespace metrics_adapter {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Logs live in a subdirectory so the sync file's churn does not wake the tailer.
class HazardDir : public TempDir {
 public:
  HazardDir() : TempDir("tailer-hazard") { fs::create_directory(path() + "/logs"); }
  std::string Log(const std::string& name) const { return *this / ("logs/" + name); }
  std::string File(const std::string& name) const { return *this / name; }
};

// The line log_writer writes as number n, without its '\n'.
std::string ExpectedLine(long n, const std::string& tag) {
  char head[32];
  std::snprintf(head, sizeof(head), "line %06ld ", n);
  std::string line = head + tag + " ";
  line.append(static_cast<std::size_t>((n * 7) % 50), static_cast<char>('a' + n % 26));
  return line;
}

// METRICS_ADAPTER_TEST_THREADS, 1 when unset.
std::size_t TestThreads() {
  const char* value = std::getenv("METRICS_ADAPTER_TEST_THREADS");
  return value == nullptr ? 1 : static_cast<std::size_t>(std::max(1, std::atoi(value)));
}

// The multi-threaded path of a streamed source, with a rule that emits each
// line whole as its one label value: Match calls `sink` with every line, in
// order, from whichever thread applies it.
class MatchedLines {
 public:
  explicit MatchedLines(std::size_t threads) : dir_("hazard-rules"), workers_(threads) {
    const std::string path = dir_ / "lines.yaml";
    std::ofstream(path) << R"(parser: line
metrics:
  - {name: hazard_lines_total, type: counter, help: Each line., labels: [line]}
rules:
  - {name: any, match: '^(?P<line>(?s:.*))$', emit: [{metric: hazard_lines_total, labels: {line: $line}}]}
)";
    Diagnostics diags;
    rules_ = LoadRuleFiles({path}, schema_, diags).rule_set;
    if (!rules_) throw std::runtime_error(diags.Format());
    matcher_.emplace(DefaultParserChoice(), workers_);
    matcher_->Adopt(*rules_);
    counts_.emplace(*rules_);
  }
  void Match(std::span<const std::string_view> lines, UpdateSink& sink) {
    matcher_->Match(lines, *rules_, sink, *counts_, errors_);
  }

 private:
  TempDir dir_;
  Schema schema_;
  std::shared_ptr<const RuleSet> rules_;
  MatchWorkers workers_;
  std::optional<ParallelMatcher> matcher_;
  std::optional<MatchCounts> counts_;
  ParseErrorCounts errors_;
};

// Counts how often each line number of each writer (tag) was seen, and any
// line that is not exactly what a writer wrote.
class CountingObserver : public TailerObserver, private UpdateSink {
 public:
  CountingObserver() {
    if (TestThreads() > 1) matched_.emplace(TestThreads());
  }
  void Expect(const std::string& tag, long lines) { seen_[tag].assign(lines, 0); }

  void OnLines(std::span<const std::string_view> lines, std::size_t) override {
    std::lock_guard lock(mu_);
    if (matched_) {
      matched_->Match(lines, *this);
    } else {
      for (std::string_view line : lines) Count(line);
    }
    total_ += static_cast<long>(lines.size());
  }
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override {
    std::lock_guard lock(mu_);
    ++events_[event];
    if (event == TailEvent::kReadError && first_error_.empty()) first_error_ = detail;
    (void)path;
  }

  long total() const { return total_; }
  int events(TailEvent event) const {
    std::lock_guard lock(mu_);
    auto it = events_.find(event);
    return it == events_.end() ? 0 : it->second;
  }
  std::string first_error() const {
    std::lock_guard lock(mu_);
    return first_error_;
  }
  std::vector<int> Seen(const std::string& tag) const {
    std::lock_guard lock(mu_);
    return seen_.at(tag);
  }
  long malformed() const {
    std::lock_guard lock(mu_);
    return malformed_;
  }
  std::string malformed_sample() const {
    std::lock_guard lock(mu_);
    return malformed_sample_;
  }

 private:
  void Count(std::string_view line) {
    long n = -1;
    std::string_view rest = line;
    if (rest.substr(0, 5) == "line ") {
      rest.remove_prefix(5);
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
      if (ec != std::errc()) n = -1;
      rest.remove_prefix(end - rest.data());
    }
    if (n >= 0 && rest.size() > 1) {
      const std::string_view tail = rest.substr(1);
      const std::string tag(tail.substr(0, tail.find(' ')));
      auto it = seen_.find(tag);
      if (it != seen_.end() && n < static_cast<long>(it->second.size()) &&
          line == ExpectedLine(n, tag)) {
        ++it->second[n];
        return;
      }
    }
    if (malformed_++ == 0) malformed_sample_ = line;
  }

  // The threads' updates, one per line, applied in order (under mu_, held
  // by OnLines while the threads work).
  void Apply(const Update& update) override { Count(update.label_values[0]); }

  std::optional<MatchedLines> matched_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<int>> seen_;
  std::map<TailEvent, int> events_;
  std::atomic<long> total_{0};
  long malformed_ = 0;
  std::string malformed_sample_;
  std::string first_error_;
};

template <typename Pred>
bool WaitFor(Pred done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return done();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A log_writer child process; killed and reaped if the test ends early.
class Writer {
 public:
  explicit Writer(std::vector<std::string> args) {
    args.insert(args.begin(), LOG_WRITER_PATH);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, LOG_WRITER_PATH, nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " LOG_WRITER_PATH);
    }
  }
  ~Writer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Exit status, or -1 if it did not exit within the bound (then killed).
  int Wait(std::chrono::milliseconds limit = 30s) {
    int status = 0;
    const bool exited = WaitFor(
        [&] {
          if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
          pid_ = -1;
          return true;
        },
        limit);
    if (!exited) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

// Keeps `path` holding the number of lines the observer has seen, for the
// writer's --sync-file handshake. Replaced atomically (rename), so the writer
// never reads a half-written number.
class SyncPump {
 public:
  SyncPump(const CountingObserver& observer, std::string path)
      : thread_([&observer, path = std::move(path)](std::stop_token stop) {
          long written = -1;
          const std::string tmp = path + ".tmp";
          while (!stop.stop_requested()) {
            const long total = observer.total();
            if (total != written) {
              if (FILE* f = std::fopen(tmp.c_str(), "w")) {
                std::fprintf(f, "%ld\n", total);
                std::fclose(f);
                std::rename(tmp.c_str(), path.c_str());
                written = total;
              }
            }
            std::this_thread::sleep_for(1ms);
          }
        }) {}

 private:
  std::jthread thread_;
};

// Permission bits do not stop root; capabilities are per thread, so the
// tailer thread drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its
// effective set and then meets the bits like any other user.
bool DropDacOverrideForThisThread() {
  if (geteuid() != 0) return true;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  data[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
  return syscall(SYS_capset, &header, data) == 0;
}

bool CanDropDacOverride() {
  bool ok = false;
  std::thread([&] { ok = DropDacOverrideForThisThread(); }).join();
  return ok;
}

// The tailer running in its own thread, as in production.
class RunningTailer {
 public:
  RunningTailer(TailerOptions options, CountingObserver* observer, bool as_user = false)
      : tailer_(std::move(options), observer), thread_([this, as_user](std::stop_token stop) {
          if (as_user) DropDacOverrideForThisThread();
          tailer_.Run(stop);
        }) {}

  // Stops Run() and does one last pass on this thread, so whatever the
  // files still hold (a late duplicate, say) is counted before checking.
  void StopAndFinalPoll() {
    thread_.request_stop();
    thread_.join();
    tailer_.Poll();
  }

 private:
  FileTailer tailer_;
  std::jthread thread_;
};

TailerOptions HazardOptions(std::vector<std::string> paths) {
  TailerOptions options;
  options.paths = std::move(paths);
  // The writer may create the file before Run's first Poll; reading files
  // present at start from their start makes that race harmless.
  options.from_beginning = true;
  options.poll_interval = 100ms;
  options.rotate_wait = 1s;
  return options;
}

// Every line 0..lines-1 of `tag` seen exactly once, nothing else seen.
void CheckExactlyOnce(const CountingObserver& observer, const std::string& tag, long lines) {
  const std::vector<int> seen = observer.Seen(tag);
  long missing = 0, duplicated = 0, first_missing = -1, first_duplicated = -1;
  for (long n = 0; n < lines; ++n) {
    if (seen[n] == 0 && missing++ == 0) first_missing = n;
    if (seen[n] > 1 && duplicated++ == 0) first_duplicated = n;
  }
  INFO("tag " << tag << ": first missing " << first_missing << ", first duplicated "
              << first_duplicated << ", malformed sample '" << observer.malformed_sample() << "'");
  CHECK(missing == 0);
  CHECK(duplicated == 0);
  CHECK(observer.malformed() == 0);
}

constexpr long kLines = 20000;
constexpr long kRotateEvery = 2000;

std::string Num(long n) { return std::to_string(n); }

TEST_CASE("rename rotation, rotated names still matched: each line once") {
  // logrotate-style P -> P.1 -> P.2 ...: every name matches the glob, so the
  // tailer finds each file whatever its timing; the test is that a renamed
  // file is recognised by its inode and not read again.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log*")}), &observer);
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                 Num(kRotateEvery), "--mode", "rename", "--keep-copies"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
}

TEST_CASE("rename rotation, old name not matched: renamed file drained, late writes read") {
  // Only app.log matches: after each rename the old file must be drained
  // through the fd the tailer holds, including lines the writer appends to it
  // after the rename (--late-lines). A file renamed away before the tailer
  // ever opened it cannot be read by anyone, so the writer waits (--sync
  // opened) until the tailer has seen the first line of the current file
  // before rotating it; the tailer may still lag behind by up to a whole file.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log")}), &observer);
  SyncPump pump(observer, dir.File("sync"));
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                 Num(kRotateEvery), "--mode", "rename", "--late-lines", "5", "--sync-file",
                 dir.File("sync"), "--sync", "opened"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(observer.events(TailEvent::kRotated) >= 1);
}

TEST_CASE("delete + recreate rotation: deleted file drained, new one read from start") {
  // Same handshake as above, for the same reason: a file deleted before the
  // tailer opened it is gone. Lines written to the deleted file afterwards
  // (--late-lines) are read through the tailer's fd.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log")}), &observer);
  SyncPump pump(observer, dir.File("sync"));
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                 Num(kRotateEvery), "--mode", "recreate", "--late-lines", "5", "--sync-file",
                 dir.File("sync"), "--sync", "opened"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(observer.events(TailEvent::kDeleted) >= 1);
}

TEST_CASE("copytruncate, cooperative writer: each line once") {
  // True copytruncate is racy for every tailer: lines written between the
  // tailer's last read and the truncate exist only in the copy, which is not
  // followed. Here the writer waits before each truncate until the tailer has
  // seen every line so far (--sync caughtup), which takes that race out; what
  // is tested is that the truncation is noticed, the file read again from its
  // start, and nothing read twice, even when the file has regrown past the old
  // offset by the time the tailer looks.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log")}), &observer);
  SyncPump pump(observer, dir.File("sync"));
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                 Num(kRotateEvery), "--mode", "copytruncate", "--sync-file", dir.File("sync"),
                 "--sync", "caughtup"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(observer.events(TailEvent::kTruncated) == kLines / kRotateEvery - 1);
}

TEST_CASE("copytruncate, real race: never twice, loss only just before a truncate") {
  // Without cooperation, some lines at the end of each pre-truncate segment
  // may be lost (they live only in the copies). What must hold: no line is
  // seen twice, no line is garbled, within each segment the lines seen are a
  // prefix of it (loss only at the tail, never after the tailer resynced),
  // and the last segment, after the last truncate, is complete. How many are
  // lost depends on scheduling and is only reported.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log")}), &observer);
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                 Num(kRotateEvery), "--mode", "copytruncate", "--keep-copies"});
  REQUIRE(writer.Wait() == 0);
  const long last_segment = kLines % kRotateEvery == 0 ? kRotateEvery : kLines % kRotateEvery;
  const auto last_segment_seen = [&] {
    const std::vector<int> seen = observer.Seen("w");
    return std::all_of(seen.end() - last_segment, seen.end(), [](int c) { return c > 0; });
  };
  CHECK(WaitFor(last_segment_seen));
  tailer.StopAndFinalPoll();

  const std::vector<int> seen = observer.Seen("w");
  CHECK(observer.malformed() == 0);
  CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c <= 1; }));
  long lost = 0;
  for (long start = 0; start < kLines; start += kRotateEvery) {
    const long end = std::min(start + kRotateEvery, kLines);
    long n = start;
    while (n < end && seen[n] == 1) ++n;
    const long prefix = n - start;
    while (n < end && seen[n] == 0) ++n;
    INFO("segment starting at " << start << ": prefix " << prefix << " lines");
    CHECK(n == end);  // after the first gap, nothing of this segment was seen
    lost += end - start - prefix;
  }
  CHECK(last_segment_seen());
  MESSAGE("copytruncate race: " << lost << " of " << kLines << " lines lost in "
                                << kLines / kRotateEvery - 1 << " truncations");
}

TEST_CASE("partial lines: every line written in two writes is delivered whole") {
  HazardDir dir;
  const long lines = 10000;
  CountingObserver observer;
  observer.Expect("w", lines);
  RunningTailer tailer(HazardOptions({dir.Log("app.log")}), &observer);
  Writer writer(
      {"--path", dir.Log("app.log"), "--lines", Num(lines), "--partial", "--pause-us", "20"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= lines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == lines);
  CheckExactlyOnce(observer, "w", lines);
}

TEST_CASE("deletion: a file deleted while the tailer lags is read to its end, then closed") {
  // The writer unlinks the file right after its last line, once the tailer
  // has opened it (--sync opened): the rest is read through the held fd.
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  TailerOptions options = HazardOptions({dir.Log("app.log")});
  options.rotate_wait = 200ms;
  RunningTailer tailer(options, &observer);
  SyncPump pump(observer, dir.File("sync"));
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--unlink-at-end",
                 "--sync-file", dir.File("sync"), "--sync", "opened"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  CHECK(WaitFor([&] { return observer.events(TailEvent::kClosed) == 1; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(observer.events(TailEvent::kDeleted) == 1);
}

TEST_CASE("glob pick-up: files created after start are found and read from their start") {
  // A file present at start is read from its end; its old line must not show
  // up. Its kOpened event also tells that Run's first Poll is done, so the
  // writers' files are new to the tailer.
  HazardDir dir;
  {
    FILE* f = std::fopen(dir.Log("present.log").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("old line, before start\n", f);
    std::fclose(f);
  }
  const long lines = 5000;
  CountingObserver observer;
  for (const char* tag : {"a", "b", "c"}) observer.Expect(tag, lines);
  TailerOptions options = HazardOptions({dir.Log("*.log")});
  options.from_beginning = false;
  RunningTailer tailer(options, &observer);
  REQUIRE(WaitFor([&] { return observer.events(TailEvent::kOpened) == 1; }));
  std::vector<std::unique_ptr<Writer>> writers;
  for (const char* tag : {"a", "b", "c"}) {
    writers.push_back(std::make_unique<Writer>(std::vector<std::string>{
        "--path", dir.Log(std::string(tag) + ".log"), "--lines", Num(lines), "--tag", tag}));
  }
  for (auto& writer : writers) REQUIRE(writer->Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= 3 * lines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == 3 * lines);
  for (const char* tag : {"a", "b", "c"}) CheckExactlyOnce(observer, tag, lines);
  CHECK(observer.events(TailEvent::kOpened) == 4);
}

TEST_CASE(
    "** over a directory made while running, rename rotation to excluded names: each line once") {
  // The nested directory does not exist at start. The writer rotates by
  // rename to a numbered name the source excludes, so each rotated file
  // leaves the pattern and must be drained like a rename out of it, late
  // writes included; as in the test above, it waits until the tailer holds
  // the current file before renaming it (--sync opened).
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  TailerOptions options = HazardOptions({dir.Log("pods/**/*.log*")});
  options.exclude = {"*.[0-9]"};
  RunningTailer tailer(options, &observer);
  REQUIRE(WaitFor([&] { return observer.events(TailEvent::kPatternEmpty) == 1; }));
  fs::create_directories(dir.Log("pods/web-1/app/nested"));
  SyncPump pump(observer, dir.File("sync"));
  Writer writer({"--path", dir.Log("pods/web-1/app/nested/access.log"), "--lines", Num(kLines),
                 "--rotate-every", Num(kRotateEvery), "--mode", "rename", "--late-lines", "5",
                 "--sync-file", dir.File("sync"), "--sync", "opened"});
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(observer.events(TailEvent::kRotated) >= 1);
}

TEST_CASE("permission denied, then fixed: reported, nothing lost after chmod") {
  // The tailer thread meets permission bits (see DropDacOverrideForThisThread;
  // as root it drops its DAC override). The file exists at start, unreadable
  // (0200), empty: once readable it is read from the size it had at start.
  if (!CanDropDacOverride()) {
    MESSAGE("cannot drop CAP_DAC_OVERRIDE in this environment; test skipped");
    return;
  }
  HazardDir dir;
  {
    const int fd = open(dir.Log("app.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0200);
    REQUIRE(fd >= 0);
    close(fd);
    chmod(dir.Log("app.log").c_str(), 0200);
  }
  CountingObserver observer;
  observer.Expect("w", kLines);
  TailerOptions options = HazardOptions({dir.Log("app.log")});
  options.from_beginning = false;
  RunningTailer tailer(options, &observer, /*as_user=*/true);
  REQUIRE(WaitFor([&] { return observer.events(TailEvent::kReadError) >= 1; }));
  CHECK(observer.first_error() == "open: Permission denied");
  Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines)});
  // Fixed while the writer runs (or just after, if it is that fast).
  REQUIRE(WaitFor([&] { return fs::file_size(dir.Log("app.log")) > 0; }));
  CHECK(observer.total() == 0);
  chmod(dir.Log("app.log").c_str(), 0644);
  REQUIRE(writer.Wait() == 0);
  CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  tailer.StopAndFinalPoll();
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
}

// Multi-line records across rename rotation: every 10th line begins a
// record (`start`), and the writer rotates every 1995 lines, so half its
// rotations fall inside a record. Each record's lines go to the counting
// observer one by one (every line exactly once); a record must hold
// consecutive lines of one file, never the end of one file and the start of
// the next; the new file's first lines after such a rotation are a record
// of their own, reported once per rotation that cut a record.
class RecordSplitter : public TailerObserver {
 public:
  RecordSplitter(CountingObserver* lines, long rotate_every)
      : lines_(lines), rotate_every_(rotate_every) {}
  void OnLines(std::span<const std::string_view> records, std::size_t bytes) override {
    for (std::string_view record : records) {
      std::vector<std::string_view> parts;
      long first = -1, last = -1;
      for (std::size_t pos = 0; pos <= record.size();) {
        std::size_t end = record.find('\n', pos);
        if (end == std::string_view::npos) end = record.size();
        parts.push_back(record.substr(pos, end - pos));
        long n = -1;  // a malformed line is the counting observer's to report
        if (parts.back().size() >= 11) {
          const std::string_view digits = parts.back().substr(5, 6);
          std::from_chars(digits.data(), digits.data() + digits.size(), n);
        }
        if (first < 0) first = n;
        if (last >= 0 && n != last + 1) ++not_consecutive_;
        if (last >= 0 && n % rotate_every_ == 0) ++across_files_;
        last = n;
        pos = end + 1;
      }
      lines_->OnLines(parts, 0);
    }
    lines_->OnLines({}, bytes);
  }
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override {
    lines_->OnEvent(event, path, detail);
  }
  std::atomic<long> not_consecutive_{0};
  std::atomic<long> across_files_{0};

 private:
  CountingObserver* lines_;
  long rotate_every_;
};

TEST_CASE("multiline records across rename rotation: never two files in one record") {
  constexpr long kEvery = 1995;
  HazardDir dir;
  CountingObserver observer;
  observer.Expect("w", kLines);
  RecordSplitter splitter(&observer, kEvery);
  TailerOptions options = HazardOptions({dir.Log("app.log*")});
  MultilineOptions multiline;
  multiline.pattern = R"(^line \d{5}0 )";
  multiline.flush_after = 100ms;
  options.multiline = multiline;
  {
    FileTailer tailer(options, &splitter);
    std::jthread thread([&](std::stop_token stop) { tailer.Run(stop); });
    Writer writer({"--path", dir.Log("app.log"), "--lines", Num(kLines), "--rotate-every",
                   Num(kEvery), "--mode", "rename", "--keep-copies"});
    REQUIRE(writer.Wait() == 0);
    // The last record is handed over flush_after after the last line.
    CHECK(WaitFor([&] { return observer.total() >= kLines; }));
  }
  CHECK(observer.total() == kLines);
  CheckExactlyOnce(observer, "w", kLines);
  CHECK(splitter.not_consecutive_ == 0);
  CHECK(splitter.across_files_ == 0);
  // Rotations after lines 1995, 5985, 9975, 13965 and 17955 cut a record.
  CHECK(observer.events(TailEvent::kNoStartLine) == 5);
  CHECK(observer.events(TailEvent::kRecordCut) == 0);
}

}  // namespace
}  // namespace metrics_adapter
