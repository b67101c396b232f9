// What keeping positions costs: a FileTailer reading a generated log from
// its start with and without a Positions hook (one Commit per read chunk),
// and one atomic save of the positions file (fsync included) for many files.
// Prints figures; plain main, no framework.
//
//   build/release/test/bench/positions_bench [LINES] [FILES_IN_SAVE]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "adapter/sources/file_tailer.h"
#include "adapter/sources/positions.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

class Counter : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view> lines, std::size_t) override {
    count += lines.size();
  }
  void OnEvent(TailEvent, std::string_view, std::string_view) override {}
  std::size_t count = 0;
};

// Counts the hook's commits on the way to the real Positions.
class CountingHook : public TailerPositions {
 public:
  explicit CountingHook(TailerPositions* inner) : inner_(inner) {}
  std::optional<off_t> ResumeOffset(int fd, const FileKey& key, std::string_view path) override {
    return inner_->ResumeOffset(fd, key, path);
  }
  void Commit(const FileKey& key, std::string_view path, off_t offset,
              std::string_view head) override {
    ++commits;
    inner_->Commit(key, path, offset, head);
  }
  void Close(const FileKey& key) override { inner_->Close(key); }
  std::size_t commits = 0;

 private:
  TailerPositions* inner_;
};

// Seconds to read `log` whole with a fresh tailer (best of three).
double ReadSeconds(const std::string& log, Positions* positions, std::size_t* lines,
                   std::size_t* commits) {
  double best = 1e9;
  for (int run = 0; run < 3; ++run) {
    TailerOptions options;
    options.paths = {log};
    options.from_beginning = true;
    Counter counter;
    std::unique_ptr<TailerPositions> hook;
    std::unique_ptr<CountingHook> counting;
    if (positions != nullptr) {
      positions->RetainSources([](const std::string&) { return false; });
      hook = positions->ForSource("bench");
      counting = std::make_unique<CountingHook>(hook.get());
    }
    FileTailer tailer(options, &counter, counting.get());
    const auto start = Clock::now();
    tailer.Poll();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    *lines = counter.count;
    if (counting) *commits = counting->commits;
  }
  return best;
}

int Main(int argc, char** argv) {
  const long lines = argc > 1 ? std::atol(argv[1]) : 1000000;
  const long files = argc > 2 ? std::atol(argv[2]) : 1000;
  char dir_template[] = "/tmp/positions-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  const std::string dir = dir_template;
  const std::string log = dir + "/access.log";
  {
    std::ofstream out(log);
    for (long n = 0; n < lines; ++n) {
      out << "10.0.0." << n % 250 << " - - [25/Nov/2026:10:00:00 +0000] \"GET /item/" << n
          << " HTTP/1.1\" 200 512 \"-\" \"curl/8.0\" 0.004\n";
    }
  }
  const double mib = static_cast<double>(std::filesystem::file_size(log)) / (1 << 20);
  Positions positions(dir + "/positions.json", nullptr);
  std::size_t read = 0;
  std::size_t commits = 0;
  const double plain = ReadSeconds(log, nullptr, &read, &commits);
  std::printf("without positions: %zu lines (%.0f MiB) in %.3f s: %.2f M lines/s\n", read, mib,
              plain, static_cast<double>(read) / plain / 1e6);
  const double kept = ReadSeconds(log, &positions, &read, &commits);
  std::printf("with positions:    %zu lines (%.0f MiB) in %.3f s: %.2f M lines/s, %zu commits\n",
              read, mib, kept, static_cast<double>(read) / kept / 1e6, commits);

  // A save with `files` followed files (the log itself, under many keys).
  auto hook = positions.ForSource("many");
  for (long i = 0; i < files; ++i) {
    hook->Commit(FileKey{1, static_cast<std::uint64_t>(i) + 1}, log, i * 100, "10.0.0.1 - -");
  }
  std::string error;
  double best = 1e9;
  for (int run = 0; run < 5; ++run) {
    const auto start = Clock::now();
    if (!positions.Save(false, &error)) {
      std::fprintf(stderr, "save failed: %s\n", error.c_str());
      return 1;
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::printf("one save of %ld positions (%ju bytes, fsync'ed and renamed): %.2f ms\n", files + 1,
              static_cast<std::uintmax_t>(std::filesystem::file_size(dir + "/positions.json")),
              best * 1e3);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) { return metrics_adapter::Main(argc, argv); }
