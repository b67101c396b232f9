// FileTailer's limits: max_files and the descriptor budget (files beyond
// them reported once each and followed once a slot frees up), things at a
// matching path that are not regular files (reported once, never opened),
// and symbolic links when follow_symlinks is false. Stepped with Poll().
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "adapter/sources/fd_budget.h"
#include "adapter/sources/file_tailer.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

struct Seen {
  TailEvent event;
  std::string path;
  std::string detail;
};

class Recorder : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view> batch, std::size_t /*bytes*/) override {
    for (std::string_view line : batch) lines.emplace_back(line);
  }
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override {
    events.push_back(Seen{event, std::string(path), std::string(detail)});
  }
  void OnStatus(const TailerStatus& s) override { status = s; }
  std::vector<Seen> Of(TailEvent event) const {
    std::vector<Seen> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out),
                 [&](const Seen& e) { return e.event == event; });
    return out;
  }

  std::vector<std::string> lines;
  std::vector<Seen> events;
  TailerStatus status;
};

TailerOptions Options(const std::string& pattern) {
  TailerOptions options;
  options.paths = {pattern};
  options.from_beginning = true;
  options.rotate_wait = std::chrono::milliseconds(0);
  return options;
}

TEST_CASE("FileTailer follows max_files files and reports each file beyond once") {
  TempDir dir("tailer-limits");
  for (int i = 0; i < 5; ++i) dir.Write("f" + std::to_string(i) + ".log", "line\n");
  TailerOptions options = Options(dir / "*.log");
  options.max_files = 3;
  FdBudget budget(100000);
  Recorder recorder;
  {
    FileTailer tailer(options, &recorder, nullptr, &budget);
    tailer.Poll();
    tailer.Poll();
    CHECK(recorder.lines.size() == 3);
    CHECK(recorder.Of(TailEvent::kOpened).size() == 3);
    const std::vector<Seen> skipped = recorder.Of(TailEvent::kFileSkipped);
    REQUIRE(skipped.size() == 2);  // once each, not once per scan
    CHECK(skipped[0].detail == "max_files");
    CHECK(recorder.status.files == 3);
    CHECK(recorder.status.skipped == 2);
    CHECK(recorder.status.files_limit == 3);
    CHECK(budget.files_open() == 3);

    // A followed file goes (deleted, drained, closed): a waiting one takes its slot.
    std::filesystem::remove(dir / "f0.log");
    tailer.Poll();
    tailer.Poll();
    CHECK(recorder.Of(TailEvent::kClosed).size() == 1);
    CHECK(recorder.Of(TailEvent::kOpened).size() == 4);
    CHECK(recorder.status.skipped == 1);
    CHECK(recorder.lines.size() == 4);
  }
  CHECK(budget.files_open() == 0);  // every descriptor given back
}

TEST_CASE("FileTailer stops at the descriptor budget shared by all tailers") {
  TempDir dir("tailer-budget");
  for (int i = 0; i < 30; ++i) dir.Write("a/f" + std::to_string(i) + ".log", "x\n");
  for (int i = 0; i < 30; ++i) dir.Write("b/f" + std::to_string(i) + ".log", "x\n");
  // 40 descriptors in all, 10 of them kept by a listener.
  FdBudget budget(FdBudget::kReservedFds + 40);
  budget.Reserve(10);
  CHECK(budget.file_limit() == 30);
  Recorder a, b;
  FileTailer tailer_a(Options(dir / "a/*.log"), &a, nullptr, &budget);
  FileTailer tailer_b(Options(dir / "b/*.log"), &b, nullptr, &budget);
  tailer_a.Poll();
  tailer_b.Poll();
  CHECK(a.status.files == 30);
  CHECK(b.status.files == 0);
  CHECK(b.status.skipped == 30);
  CHECK(b.status.files_limit == 0);
  REQUIRE(b.Of(TailEvent::kFileSkipped).size() == 30);
  CHECK(b.Of(TailEvent::kFileSkipped)[0].detail == "fd_budget");
  CHECK(budget.files_open() == 30);
  // The listener stops: its descriptors go to files.
  budget.Unreserve(10);
  tailer_b.Poll();
  CHECK(b.status.files == 10);
  CHECK(b.Of(TailEvent::kFileSkipped).size() == 30);  // not again
  CHECK(FdBudget(10).file_limit() == FdBudget::kMinFileFds);
}

TEST_CASE("FileTailer reports a FIFO, a device and a directory at a matching path once, unopened") {
  TempDir dir("tailer-not-regular");
  REQUIRE(mkfifo((dir / "pipe.log").c_str(), 0600) == 0);
  std::filesystem::create_symlink("/dev/zero", dir / "zero.log");
  std::filesystem::create_directory(dir / "dir.log");
  dir.Write("real.log", "ok\n");
  TailerOptions options = Options(dir / "*.log");
  options.paths.push_back(dir / "dir.log");  // a directory named as a file
  Recorder recorder;
  FileTailer tailer(options, &recorder);
  tailer.Poll();  // a FIFO opened without O_NONBLOCK would block here
  tailer.Poll();
  CHECK(recorder.lines == std::vector<std::string>{"ok"});
  std::vector<std::string> reported;
  for (const Seen& e : recorder.Of(TailEvent::kNotRegular)) {
    reported.push_back(e.path.substr(dir.path().size() + 1) + " " + e.detail);
  }
  std::sort(reported.begin(), reported.end());
  CHECK(reported == std::vector<std::string>{"dir.log directory", "pipe.log fifo",
                                             "zero.log character_device"});
  CHECK(recorder.Of(TailEvent::kReadError).empty());

  // Gone and back: reported again.
  std::filesystem::remove(dir / "pipe.log");
  tailer.Poll();
  REQUIRE(mkfifo((dir / "pipe.log").c_str(), 0600) == 0);
  tailer.Poll();
  CHECK(recorder.Of(TailEvent::kNotRegular).size() == 4);
}

TEST_CASE("FileTailer with follow_symlinks false reads no symbolic link, file or directory") {
  TempDir dir("tailer-symlinks");
  const std::string secret = dir.Write("outside/secret", "private\n");
  dir.Write("outside/sub/app.log", "via a linked directory\n");
  dir.Write("logs/app.log", "own\n");
  std::filesystem::create_symlink(secret, dir / "logs/link.log");
  std::filesystem::create_symlink(dir / "outside/sub", dir / "logs/sub");

  TailerOptions options = Options(dir / "logs/**/*.log");
  options.paths.push_back(dir / "logs/*/app.log");
  options.follow_symlinks = false;
  Recorder recorder;
  FileTailer tailer(options, &recorder);
  tailer.Poll();
  CHECK(recorder.lines == std::vector<std::string>{"own"});
  const std::vector<Seen> links = recorder.Of(TailEvent::kNotRegular);
  REQUIRE(links.size() == 1);
  CHECK(links[0].path == dir / "logs/link.log");
  CHECK(links[0].detail == "symlink");

  // Followed (the default), both are read.
  options.follow_symlinks = true;
  Recorder following;
  FileTailer tailer2(options, &following);
  tailer2.Poll();
  std::sort(following.lines.begin(), following.lines.end());
  CHECK(following.lines == std::vector<std::string>{"own", "private", "via a linked directory"});
}

}  // namespace
}  // namespace metrics_adapter
