// FileTailer with patterns over directory trees: wildcards in directories,
// `**`, exclude, what it says about patterns, its status (files, lag), and
// directories created while Run() runs, found through inotify and, with
// inotify off, through polling. Poll()-stepped tests are deterministic; the
// Run() ones wait with a bound.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapter/sources/file_tailer.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

void Append(const std::string& path, std::string_view data) {
  fs::create_directories(fs::path(path).parent_path());
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  close(fd);
}

// Records everything; thread-safe, for Run().
class Recorder : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view> batch, std::size_t) override {
    std::lock_guard lock(mu_);
    for (std::string_view line : batch) lines_.emplace_back(line);
  }
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override {
    std::lock_guard lock(mu_);
    events_.push_back({event, std::string(path), std::string(detail)});
  }
  void OnStatus(const TailerStatus& status) override {
    std::lock_guard lock(mu_);
    statuses_.push_back(status);
  }

  Lines Take() {
    std::lock_guard lock(mu_);
    Lines out;
    out.swap(lines_);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::size_t LineCount() {
    std::lock_guard lock(mu_);
    return lines_.size();
  }
  std::size_t StatusCount() {
    std::lock_guard lock(mu_);
    return statuses_.size();
  }
  // The last status reported (after the last Poll's reads).
  TailerStatus LastStatus() { return StatusBack(0); }
  // The status reported before the last Poll's reads.
  TailerStatus StatusBeforeReading() { return StatusBack(1); }
  TailerStatus StatusBack(std::size_t back) {
    std::lock_guard lock(mu_);
    REQUIRE(statuses_.size() > back);
    return statuses_[statuses_.size() - 1 - back];
  }
  // The events of one kind, as "path: detail".
  std::vector<std::string> Events(TailEvent kind) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (e.event == kind) out.push_back(e.path + ": " + e.detail);
    }
    return out;
  }

 private:
  struct Event {
    TailEvent event;
    std::string path, detail;
  };
  std::mutex mu_;
  Lines lines_;
  std::vector<Event> events_;
  std::vector<TailerStatus> statuses_;
};

TailerOptions Options(std::vector<std::string> paths) {
  TailerOptions options;
  options.paths = std::move(paths);
  options.rotate_wait = std::chrono::hours(1);
  return options;
}

TEST_CASE("wildcard directories: files in directories created after start are read from start") {
  TempDir dir("tailer-globs");
  Append(dir / "pods/a/app/old.log", "before start\n");
  Recorder rec;
  FileTailer tailer(Options({dir / "pods/*/app/*.log"}), &rec);
  tailer.Poll();
  CHECK(rec.LastStatus().files == 1);
  Append(dir / "pods/a/app/old.log", "a1\n");
  Append(dir / "pods/b/app/new.log", "b1\nb2\n");
  Append(dir / "pods/c/other/skip.log", "not matched\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"a1", "b1", "b2"});
  CHECK(rec.LastStatus().files == 2);
}

TEST_CASE("** finds files at several depths, including directories made later") {
  TempDir dir("tailer-globs");
  Recorder rec;
  FileTailer tailer(Options({dir / "logs/**/*.log"}), &rec);
  tailer.Poll();
  Append(dir / "logs/top.log", "0\n");
  Append(dir / "logs/a/one.log", "1\n");
  Append(dir / "logs/a/b/c/three.log", "3\n");
  Append(dir / "logs/a/b/c/three.txt", "not matched\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"0", "1", "3"});
  CHECK(rec.LastStatus().files == 3);
}

TEST_CASE("exclude: by file name and by whole path; a rotation to an excluded name is drained") {
  TempDir dir("tailer-globs");
  TailerOptions options = Options({dir / "logs/**"});
  options.exclude = {"*.gz", "*.[0-9]", dir / "logs/debug/**"};
  options.rotate_wait = std::chrono::milliseconds(0);
  Recorder rec;
  FileTailer tailer(options, &rec);
  tailer.Poll();
  Append(dir / "logs/access.log", "a\n");
  Append(dir / "logs/access.log.2.gz", "compressed\n");
  Append(dir / "logs/debug/trace.log", "debug\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"a"});
  CHECK(rec.LastStatus().files == 1);
  // logrotate: access.log -> access.log.1 (excluded), a new access.log.
  Append(dir / "logs/access.log", "b\n");
  fs::rename(dir / "logs/access.log", dir / "logs/access.log.1");
  Append(dir / "logs/access.log", "c\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"b", "c"});
  tailer.Poll();
  CHECK(rec.Events(TailEvent::kClosed) == std::vector<std::string>{dir / "logs/access.log: "});
}

TEST_CASE("a pattern matching nothing is reported once, again when it matches, and when it stops") {
  TempDir dir("tailer-globs");
  TailerOptions options = Options({dir / "app/*.log", dir / "never/*.log"});
  options.rotate_wait = std::chrono::milliseconds(0);
  Recorder rec;
  FileTailer tailer(options, &rec);
  tailer.Poll();
  tailer.Poll();
  CHECK(rec.Events(TailEvent::kPatternEmpty) ==
        std::vector<std::string>{dir / "app/*.log: matches no file",
                                 dir / "never/*.log: matches no file"});
  CHECK(rec.LastStatus().files == 0);
  Append(dir / "app/a.log", "x\n");
  tailer.Poll();
  tailer.Poll();
  CHECK(rec.Events(TailEvent::kPatternMatching) ==
        std::vector<std::string>{dir / "app/*.log: 1 file(s)"});
  fs::remove(dir / "app/a.log");
  tailer.Poll();
  tailer.Poll();
  CHECK(rec.Events(TailEvent::kPatternEmpty).size() == 3);
  CHECK(rec.Events(TailEvent::kPatternEmpty).back() ==
        dir / "app/*.log: no longer matches any file");
}

TEST_CASE("a pattern is not called empty while a rotation is under way (within rotate_wait)") {
  TempDir dir("tailer-globs");
  Append(dir / "app.log", "x\n");
  Recorder rec;
  FileTailer tailer(Options({dir / "app.log"}), &rec);  // rotate_wait 1 h
  tailer.Poll();
  fs::rename(dir / "app.log", dir / "app.log.1");
  tailer.Poll();
  CHECK(rec.LastStatus().files == 0);
  Append(dir / "app.log", "y\n");
  tailer.Poll();
  CHECK(rec.Take() == Lines{"y"});
  CHECK(rec.Events(TailEvent::kPatternEmpty).empty());
  CHECK(rec.Events(TailEvent::kPatternMatching).empty());
}

TEST_CASE("status: lag is what was written and not read yet, before and after reading") {
  TempDir dir("tailer-globs");
  Append(dir / "a.log", "existing\n");
  Recorder rec;
  FileTailer tailer(Options({dir / "*.log"}), &rec);
  tailer.Poll();
  CHECK(rec.StatusBeforeReading().lag_bytes == 0);  // started at its end
  Append(dir / "a.log", std::string(99, 'a') + "\n");
  Append(dir / "b.log", std::string(49, 'b') + "\n");  // new: read from its start
  tailer.Poll();
  // b.log was opened in this scan: its 50 bytes count as well.
  CHECK(rec.StatusBeforeReading().lag_bytes == 150);
  CHECK(rec.StatusBeforeReading().files == 2);
  CHECK(rec.LastStatus().lag_bytes == 0);
  CHECK(rec.LastStatus().files == 2);
  CHECK(rec.Take().size() == 2);
}

// Run() with the poll interval at an hour: only inotify can find the
// directories made after start. With inotify off, polling must.
void FollowDirectoriesCreatedWhileRunning(bool inotify) {
  TempDir dir("tailer-globs");
  TailerOptions options = Options({dir / "pods/*/app/**/*.log"});
  options.inotify = inotify;
  options.poll_interval = inotify ? std::chrono::hours(1) : std::chrono::milliseconds(20);
  Recorder rec;
  FileTailer tailer(options, &rec);
  std::jthread runner([&](std::stop_token stop) { tailer.Run(stop); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (rec.StatusCount() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(rec.StatusCount() > 0);  // the first scan is done: what follows is new
  Append(dir / "pods/a/app/x.log", "1\n2\n");
  Append(dir / "pods/b/app/deep/er/y.log", "3\n");
  while (rec.LineCount() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.request_stop();
  runner.join();
  CHECK(rec.Take() == Lines{"1", "2", "3"});
  CHECK(rec.Events(TailEvent::kPatternMatching).size() == 1);
}

TEST_CASE("Run: directories created after start are found through inotify") {
  FollowDirectoriesCreatedWhileRunning(true);
}

TEST_CASE("Run: with inotify off, directories created after start are found by polling") {
  FollowDirectoriesCreatedWhileRunning(false);
}

}  // namespace
}  // namespace metrics_adapter
