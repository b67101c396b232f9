// Positions: the saved file round-trips, is replaced atomically, a file whose
// identity or first bytes changed is never resumed, a malformed file is a
// warning naming it; and a FileTailer with positions resumes after a
// "restart" (a new tailer) with no line lost or read twice.
#include "adapter/sources/positions.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapter/config/config.h"
#include "adapter/sources/file_tailer.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

namespace fs = std::filesystem;

FileKey KeyOfPath(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return FileKey{st.st_dev, st.st_ino};
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Rewrites `path` in place: same inode, new bytes.
void RewriteInPlace(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
}

class CountingEvents : public PositionsEvents {
 public:
  void OnResumed(std::string_view source, bool clean) override {
    resumed.push_back(std::string(source) + (clean ? ":clean" : ":unclean"));
  }
  void OnReplaced(std::string_view source) override { replaced.emplace_back(source); }
  std::vector<std::string> resumed;
  std::vector<std::string> replaced;
};

// Asks `hook` where to resume `path`, as a tailer does when it opens it.
std::optional<off_t> Resume(TailerPositions& hook, const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  std::optional<off_t> offset = hook.ResumeOffset(fd, KeyOfPath(path), path);
  close(fd);
  return offset;
}

// Commits `path` as counted up to `offset`, its first bytes read as a tailer reads them.
void CommitFile(TailerPositions& hook, const std::string& path, off_t offset) {
  const std::string text = ReadAll(path);
  hook.Commit(KeyOfPath(path), path, offset, std::string_view(text).substr(0, 64));
}

TEST_CASE("positions round-trip through the file and record the kind of shutdown") {
  TempDir dir("positions");
  const std::string log = dir.Write("logs/a \"quoted\".log", "first line\nsecond line\n");
  const std::string file = dir / "positions.json";
  {
    Positions positions(file, nullptr);
    CHECK(positions.Load() == "");  // none yet: not an error
    auto hook = positions.ForSource("access");
    CommitFile(*hook, log, 11);
    std::string error;
    REQUIRE(positions.Save(/*clean_shutdown=*/false, &error));
    CHECK(error.empty());
  }
  CHECK_FALSE(fs::exists(file + ".tmp"));
  CHECK(ReadAll(file).find("\"clean_shutdown\": false") != std::string::npos);

  CountingEvents events;
  Positions loaded(file, &events);
  REQUIRE(loaded.Load() == "");
  CHECK_FALSE(loaded.loaded_clean());
  const auto saved = loaded.Snapshot("access");
  REQUIRE(saved.size() == 1);
  const SavedPosition& position = saved.begin()->second;
  CHECK(position.path == log);
  CHECK(position.key == KeyOfPath(log));
  CHECK(position.offset == 11);
  CHECK(position.fingerprint_bytes == 23);
  CHECK(position.fingerprint == Fingerprint("first line\nsecond line\n"));

  // The file grew meanwhile: same identity, same first bytes: resumed.
  std::ofstream(log, std::ios::app) << "third line\n";
  auto hook = loaded.ForSource("access");
  CHECK(Resume(*hook, log) == std::optional<off_t>(11));
  CHECK(events.resumed == std::vector<std::string>{"access:unclean"});
  CHECK(events.replaced.empty());
  // Resumed once: asking again (a source replaced by a reload) is no news.
  CHECK(Resume(*hook, log) == std::optional<off_t>(11));
  CHECK(events.resumed.size() == 1);
}

TEST_CASE("a clean save is marked clean") {
  TempDir dir("positions");
  const std::string file = dir / "positions.json";
  Positions positions(file, nullptr);
  std::string error;
  REQUIRE(positions.Save(/*clean_shutdown=*/true, &error));
  Positions loaded(file, nullptr);
  REQUIRE(loaded.Load() == "");
  CHECK(loaded.loaded_clean());
}

TEST_CASE("a file with another identity or other first bytes is not resumed") {
  TempDir dir("positions");
  const std::string log = dir.Write("a.log", "line 1 of the first file\nline 2\n");
  const std::string other = dir.Write("b.log", "line 1 of the first file\nline 2\n");
  const std::string file = dir / "positions.json";
  {
    Positions positions(file, nullptr);
    auto hook = positions.ForSource("s");
    CommitFile(*hook, log, 25);
    std::string error;
    REQUIRE(positions.Save(true, &error));
  }
  CountingEvents events;
  Positions loaded(file, &events);
  REQUIRE(loaded.Load() == "");
  auto hook = loaded.ForSource("s");

  SUBCASE("same bytes, another inode: a file never seen, read from its start") {
    CHECK(Resume(*hook, other) == std::nullopt);
    CHECK(events.replaced.empty());
  }
  SUBCASE("same inode, rewritten with other first bytes (longer than the offset)") {
    RewriteInPlace(log, "LINE 1 of a new file, longer than the old one\nline 2\nline 3\n");
    CHECK(Resume(*hook, log) == std::nullopt);
    CHECK(events.replaced == std::vector<std::string>{"s"});
    CHECK(loaded.Snapshot("s").empty());  // the stale position is gone
  }
  SUBCASE("same inode, truncated below the offset") {
    RewriteInPlace(log, "line 1 of\n");
    CHECK(Resume(*hook, log) == std::nullopt);
    CHECK(events.replaced.size() == 1);
  }
  SUBCASE("same inode, same first bytes but shorter than the saved fingerprint") {
    RewriteInPlace(log, "line 1 of the first file\n");  // 25 bytes of the 33 fingerprinted
    CHECK(Resume(*hook, log) == std::nullopt);
  }
  SUBCASE("another source's position is not this source's") {
    auto other_source = loaded.ForSource("t");
    CHECK(Resume(*other_source, log) == std::nullopt);
  }
  CHECK(events.resumed.empty());
}

TEST_CASE("a malformed or unreadable positions file is a warning naming it") {
  TempDir dir("positions");
  const std::string file = dir / "positions.json";
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"{\"version\": 1, \"clean_shutdown\": tr", ""},
      {"\x01\x02 not json at all", ""},
      {"[]", ""},
      {"{\"version\": 2, \"clean_shutdown\": true, \"sources\": {}}", "unknown \"version\""},
      {"{\"version\": 1, \"clean_shutdown\": true, \"sources\": {\"s\": [{\"path\": \"/x\", "
       "\"device\": \"1\", \"inode\": \"2\", \"offset\": \"ten\", \"fingerprint_bytes\": 0, "
       "\"fingerprint\": \"0\"}]}}",
       "offset"},
      {"{\"version\": 1, \"clean_shutdown\": true, \"sources\": {\"s\": [{\"path\": \"/x\", "
       "\"device\": \"-1\", \"inode\": \"2\", \"offset\": 1, \"fingerprint_bytes\": 0, "
       "\"fingerprint\": \"0\"}]}}",
       "\"device\" must be digits"},
      {"{\"version\": 1, \"clean_shutdown\": true, \"sources\": {\"s\": [{\"path\": \"/x\", "
       "\"device\": \"1\", \"inode\": \"2\", \"offset\": 1, \"fingerprint_bytes\": 65, "
       "\"fingerprint\": \"0\"}]}}",
       "fingerprint_bytes"},
      {"{\"version\": 1, \"clean_shutdown\": true, \"sources\": {\"s\": 3}}", "must be a list"},
      {"{\"version\": 1, \"clean_shutdown\": true, \"sources\": {}, \"extra\": 1}",
       "unknown key \"extra\""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    std::ofstream(file, std::ios::trunc) << c.text;
    Positions positions(file, nullptr);
    const std::string warning = positions.Load();
    CHECK(warning.find(file) != std::string::npos);
    CHECK(warning.find(c.message) != std::string::npos);
    CHECK(positions.Snapshot("s").empty());
  }
  SUBCASE("a directory where the file should be") {
    fs::remove(file);
    fs::create_directory(file);
    Positions positions(file, nullptr);
    CHECK(positions.Load().find(file) != std::string::npos);
  }
}

TEST_CASE("a failed save names the file and leaves the old one as it was") {
  TempDir dir("positions");
  const std::string file = dir / "positions.json";
  const std::string log = dir.Write("a.log", "a\n");
  Positions positions(file, nullptr);
  auto hook = positions.ForSource("s");
  CommitFile(*hook, log, 2);
  std::string error;
  REQUIRE(positions.Save(true, &error));
  const std::string before = ReadAll(file);

  fs::create_directory(file + ".tmp");  // where the new text would go
  CommitFile(*hook, log, 0);
  CHECK_FALSE(positions.Save(true, &error));
  CHECK(error.find(file + ".tmp") != std::string::npos);
  CHECK(ReadAll(file) == before);

  Positions nowhere(dir / "missing/positions.json", nullptr);
  CHECK_FALSE(nowhere.Save(true, &error));
  CHECK(error.find(dir / "missing/positions.json.tmp") != std::string::npos);
}

TEST_CASE("positions of closed files that are gone, and of removed sources, are dropped") {
  TempDir dir("positions");
  const std::string kept = dir.Write("kept.log", "a\n");
  const std::string rotated = dir.Write("rotated.log", "b\n");
  const std::string deleted = dir.Write("deleted.log", "c\n");
  const std::string open_deleted = dir.Write("open.log", "d\n");
  Positions positions(dir / "positions.json", nullptr);
  auto hook = positions.ForSource("s");
  for (const std::string& path : {kept, rotated, deleted, open_deleted}) CommitFile(*hook, path, 2);
  const FileKey rotated_key = KeyOfPath(rotated);
  for (const std::string& path : {kept, rotated, deleted}) hook->Close(KeyOfPath(path));
  fs::rename(rotated, rotated + ".1");  // closed, but its saved path names it no more
  fs::remove(deleted);
  fs::remove(open_deleted);  // still open: kept, the tailer drains it

  const std::string text = positions.Serialize(false);
  CHECK(text.find("kept.log") != std::string::npos);
  CHECK(text.find("open.log") != std::string::npos);
  CHECK(text.find("rotated.log") == std::string::npos);
  CHECK(text.find("deleted.log") == std::string::npos);
  CHECK(positions.Snapshot("s").count(rotated_key) == 0);

  auto other = positions.ForSource("gone");
  CommitFile(*other, kept, 2);
  positions.RetainSources([](const std::string& name) { return name == "s"; });
  CHECK(positions.Snapshot("gone").empty());
  CHECK(positions.Snapshot("s").size() == 2);
}

class Lines : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view> batch, std::size_t) override {
    for (std::string_view line : batch) lines.emplace_back(line);
  }
  void OnEvent(TailEvent, std::string_view, std::string_view) override {}
  std::vector<std::string> lines;
};

TEST_CASE("a tailer resumes after a restart: no line lost or read twice, a held line again") {
  TempDir dir("positions");
  const std::string log = dir.Write("app.log", "old 1\nold 2\n");
  const std::string file = dir / "positions.json";
  TailerOptions options;
  options.paths = {log};
  options.from_beginning = false;  // with positions: a file with no position is read whole
  {
    Positions positions(file, nullptr);
    REQUIRE(positions.Load() == "");
    auto hook = positions.ForSource("app");
    Lines seen;
    FileTailer tailer(options, &seen, hook.get());
    tailer.Poll();
    std::ofstream(log, std::ios::app) << "new 3\npartial";
    tailer.Poll();
    CHECK(seen.lines == std::vector<std::string>{"old 1", "old 2", "new 3"});
    // The held partial line is not counted: the saved offset is its start.
    CHECK(positions.Snapshot("app").begin()->second.offset == 18);
    std::string error;
    REQUIRE(positions.Save(true, &error));
  }
  std::ofstream(log, std::ios::app) << " line 4\nnew 5\n";  // written while "down"
  Positions positions(file, nullptr);
  REQUIRE(positions.Load() == "");
  auto hook = positions.ForSource("app");
  Lines seen;
  FileTailer tailer(options, &seen, hook.get());
  tailer.Poll();
  CHECK(seen.lines == std::vector<std::string>{"partial line 4", "new 5"});
  CHECK(positions.Snapshot("app").begin()->second.offset == static_cast<off_t>(fs::file_size(log)));
}

// What a tailer reports through the seam, in order.
class RecordingHook : public TailerPositions {
 public:
  std::optional<off_t> ResumeOffset(int, const FileKey&, std::string_view path) override {
    calls.push_back("resume " + fs::path(path).filename().string());
    return std::nullopt;
  }
  void Commit(const FileKey&, std::string_view path, off_t offset, std::string_view head) override {
    calls.push_back("commit " + fs::path(path).filename().string() + " " + std::to_string(offset) +
                    " head " + std::to_string(head.size()));
  }
  void Close(const FileKey&) override { calls.push_back("close"); }
  std::vector<std::string> calls;
};

TEST_CASE("a tailer commits only ends of lines handed over, 0 after a truncation, all at close") {
  TempDir dir("positions");
  const std::string log = dir.Write("app.log", "ab\ncd");  // a held partial line
  TailerOptions options;
  options.paths = {log};
  options.rotate_wait = std::chrono::milliseconds(0);
  options.max_line_bytes = 4;
  Lines seen;
  RecordingHook hook;
  FileTailer tailer(options, &seen, &hook);
  tailer.Poll();
  CHECK(hook.calls == std::vector<std::string>{"resume app.log", "commit app.log 0 head 0",
                                               "commit app.log 3 head 5"});
  hook.calls.clear();
  std::ofstream(log, std::ios::app) << "efgh\nij";  // "cdefgh" is too long: skipped, committed past
  tailer.Poll();
  CHECK(hook.calls == std::vector<std::string>{"commit app.log 10 head 12"});
  hook.calls.clear();
  RewriteInPlace(log, "k\n");  // copytruncate
  tailer.Poll();
  CHECK(hook.calls ==
        std::vector<std::string>{"commit app.log 0 head 0", "commit app.log 2 head 2"});
  hook.calls.clear();
  std::ofstream(log, std::ios::app) << "tail";
  fs::rename(log, log + ".1");  // moved away: drained, its last line final at close
  tailer.Poll();
  CHECK(hook.calls == std::vector<std::string>{"commit app.log 6 head 6", "close"});
  CHECK(seen.lines == std::vector<std::string>{"ab", "k", "tail"});
}

TEST_CASE("without positions a file present at start is read from its end, as before") {
  TempDir dir("positions");
  const std::string log = dir.Write("app.log", "old 1\n");
  TailerOptions options;
  options.paths = {log};
  Lines seen;
  FileTailer tailer(options, &seen);
  tailer.Poll();
  std::ofstream(log, std::ios::app) << "new 2\n";
  tailer.Poll();
  CHECK(seen.lines == std::vector<std::string>{"new 2"});
}

TEST_CASE("LoadConfig reads positions: and reports its errors with their place") {
  TempDir dir;
  const char* sources = "sources:\n  - {name: a, type: file, paths: [a.log], rules: [r.yaml]}\n";
  SUBCASE("absent: no positions are kept") {
    Diagnostics diags;
    auto config = LoadConfig(dir.Write("adapter.yaml", sources), diags);
    REQUIRE(config);
    CHECK_FALSE(config->positions);
  }
  SUBCASE("a relative path, the default interval") {
    Diagnostics diags;
    auto config = LoadConfig(
        dir.Write("etc/adapter.yaml", std::string("positions: {path: state/p.json}\n") + sources),
        diags);
    REQUIRE(config);
    CHECK(diags.Format() == "");
    REQUIRE(config->positions);
    CHECK(config->positions->path == dir / "etc/state/p.json");
    CHECK(config->positions->sync_interval == std::chrono::seconds(10));
  }
  SUBCASE("errors") {
    Diagnostics diags;
    const std::string path =
        dir.Write("adapter.yaml",
                  std::string("positions: {path: \"\", sync_interval: 0s, sync: 1s}\n") + sources);
    LoadConfig(path, diags);
    CHECK(diags.Format() == path + ":1:19: error: \"path\" must not be empty\n" + path +
                                ":1:38: error: \"sync_interval\" must be positive\n" + path +
                                ":1:42: error: unknown key \"sync\" in \"positions\"\n");
  }
  SUBCASE("no path") {
    Diagnostics diags;
    const std::string path =
        dir.Write("adapter.yaml", std::string("positions: {sync_interval: 1s}\n") + sources);
    LoadConfig(path, diags);
    CHECK(diags.Format().find("path") != std::string::npos);
    CHECK(diags.HasErrors());
  }
}

TEST_CASE("with multi-line records the saved offset is the start of the pending record") {
  TempDir dir("positions");
  const std::string log = dir.Write("app.log", "START a\n  a1\nSTART b\n  b1\n");
  const std::string file = dir / "positions.json";
  TailerOptions options;
  options.paths = {log};
  MultilineOptions multiline;
  multiline.mode = MultilineOptions::Mode::kStart;
  multiline.pattern = "^START";
  multiline.flush_after = std::chrono::hours(1);
  options.multiline = multiline;
  {
    Positions positions(file, nullptr);
    REQUIRE(positions.Load() == "");
    auto hook = positions.ForSource("app");
    Lines seen;
    FileTailer tailer(options, &seen, hook.get());
    tailer.Poll();
    CHECK(seen.lines == std::vector<std::string>{"START a\n  a1"});
    // Record b is pending: a restart must read it whole, from its first line.
    CHECK(positions.Snapshot("app").begin()->second.offset == 13);
    std::ofstream(log, std::ios::app) << "  b2\n";  // joins b, which began in an earlier read
    tailer.Poll();
    CHECK(positions.Snapshot("app").begin()->second.offset == 13);
    std::string error;
    REQUIRE(positions.Save(true, &error));
  }
  std::ofstream(log, std::ios::app) << "START c\n";  // written while "down"
  Positions positions(file, nullptr);
  REQUIRE(positions.Load() == "");
  auto hook = positions.ForSource("app");
  Lines seen;
  FileTailer tailer(options, &seen, hook.get());
  tailer.Poll();
  CHECK(seen.lines == std::vector<std::string>{"START b\n  b1\n  b2"});
  CHECK(positions.Snapshot("app").begin()->second.offset == 31);
}

}  // namespace
}  // namespace metrics_adapter
