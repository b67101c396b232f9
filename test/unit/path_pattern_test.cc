// PathPattern and PathExcludes on real directory trees made by each test.
#include "adapter/sources/path_pattern.h"
#include "test/unit/temp_dir.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

struct Collector : PathWalkVisitor {
  void OnDirectory(const std::string& dir) override { dirs.push_back(dir); }
  void OnFile(std::string path, const struct stat&) override { files.push_back(std::move(path)); }
  void OnError(const std::string& path, std::string_view, int) override { errors.push_back(path); }
  Paths dirs, files, errors;
};

// The files a walk of `pattern` reports, sorted, each once.
Paths Walk(const std::string& pattern) {
  Collector c;
  PathPattern(pattern).Walk(c);
  std::sort(c.files.begin(), c.files.end());
  c.files.erase(std::unique(c.files.begin(), c.files.end()), c.files.end());
  CHECK(c.errors.empty());
  return c.files;
}

TEST_CASE("PathPattern: the fixed directory is where the wildcards start") {
  struct Row {
    const char* text;
    const char* fixed_dir;
    bool literal;
  };
  for (const Row& row : {
           Row{"/var/log/app/a.log", "/var/log/app", true},
           Row{"/var/log/*/a.log", "/var/log", false},
           Row{"/var/log/**/*.log", "/var/log", false},
           Row{"/var//log/app/*.log", "/var/log/app", false},
           Row{"/*/a.log", "/", false},
           Row{"/a.log", "/", true},
           Row{"*.log", ".", false},
           Row{"logs/*.log", "logs", false},
           Row{"a.log", ".", true},
       }) {
    CAPTURE(row.text);
    PathPattern pattern(row.text);
    CHECK(pattern.fixed_dir() == row.fixed_dir);
    CHECK(pattern.literal() == row.literal);
  }
}

TEST_CASE("PathPattern::Matches: a wildcard stays within a component, ** spans any") {
  struct Row {
    const char* pattern;
    const char* path;
    bool matches;
  };
  for (const Row& row : {
           Row{"/var/log/*/app.log", "/var/log/a/app.log", true},
           Row{"/var/log/*/app.log", "/var/log/a/b/app.log", false},
           Row{"/var/log/*/app.log", "/var/log/app.log", false},
           Row{"/var/log/**/*.log", "/var/log/a.log", true},
           Row{"/var/log/**/*.log", "/var/log/a/b/c/d.log", true},
           Row{"/var/log/**/*.log", "/var/log/a/.hidden/d.log", false},
           Row{"/var/log/**/*.log", "/var/log/a/.d.log", false},
           Row{"/var/log/**", "/var/log/a/b", true},
           Row{"/var/log/**", "/var/log", false},
           Row{"/var/log/a*/**/x/*.log", "/var/log/ab/x/1.log", true},
           Row{"/var/log/a*/**/x/*.log", "/var/log/ab/q/r/x/1.log", true},
           Row{"/var/log/a*/**/x/*.log", "/var/log/b/x/1.log", false},
           Row{"/var/log/*.[0-9]", "/var/log/a.1", true},
           Row{"/var/log/*.log", "var/log/a.log", false},
       }) {
    CAPTURE(row.pattern);
    CAPTURE(row.path);
    CHECK(PathPattern(row.pattern).Matches(row.path) == row.matches);
  }
}

TEST_CASE("PathPattern::Walk: wildcards in directory components") {
  TempDir dir("path-pattern");
  dir.Write("a/app/x.log", "");
  dir.Write("b/app/y.log", "");
  dir.Write("b/app/y.txt", "");
  dir.Write("b/other/z.log", "");
  dir.Write("c/app", "a file where a directory is expected");
  dir.Write(".hidden/app/h.log", "");
  CHECK(Walk(dir / "*/app/*.log") == Paths{dir / "a/app/x.log", dir / "b/app/y.log"});
  CHECK(Walk(dir / "?/*/*.log") ==
        Paths{dir / "a/app/x.log", dir / "b/app/y.log", dir / "b/other/z.log"});
  CHECK(Walk(dir / ".*/app/*.log") == Paths{dir / ".hidden/app/h.log"});
  CHECK(Walk(dir / "b/app/y.log") == Paths{dir / "b/app/y.log"});
  CHECK(Walk(dir / "nothing/*/x.log").empty());
}

TEST_CASE("PathPattern::Walk: ** at depth 0, 1, 3 and up to its bound") {
  TempDir dir("path-pattern");
  dir.Write("logs/top.log", "");
  dir.Write("logs/a/one.log", "");
  dir.Write("logs/a/b/c/three.log", "");
  dir.Write("logs/a/b/c/three.txt", "");
  dir.Write("logs/.cache/hidden.log", "");
  CHECK(Walk(dir / "logs/**/*.log") ==
        Paths{dir / "logs/a/b/c/three.log", dir / "logs/a/one.log", dir / "logs/top.log"});
  CHECK(Walk(dir / "logs/**/c/*.log") == Paths{dir / "logs/a/b/c/three.log"});
  CHECK(Walk(dir / "logs/**") == Paths{dir / "logs/a/b/c/three.log", dir / "logs/a/b/c/three.txt",
                                       dir / "logs/a/one.log", dir / "logs/top.log"});
  CHECK(Walk(dir / "logs/a/**/**/*.txt") == Paths{dir / "logs/a/b/c/three.txt"});

  // kMaxGlobstarDepth directories below the `**`: found; one more: not.
  std::string deep = "deep";
  for (int i = 0; i < PathPattern::kMaxGlobstarDepth; ++i) deep += "/d";
  dir.Write(deep + "/in.log", "");
  dir.Write(deep + "/d/out.log", "");
  CHECK(Walk(dir / "deep/**/*.log") == Paths{dir / (deep + "/in.log")});
}

TEST_CASE("PathPattern::Walk: symbolic link loops end; ** does not follow linked directories") {
  TempDir dir("path-pattern");
  dir.Write("logs/a/x.log", "");
  dir.Write("elsewhere/y.log", "");
  fs::create_directory_symlink(dir / "logs", dir / "logs/a/loop");
  fs::create_directory_symlink(dir / "elsewhere", dir / "logs/linked");
  CHECK(Walk(dir / "logs/**/*.log") == Paths{dir / "logs/a/x.log"});
  // One wildcard component adds one level: a linked directory is followed.
  CHECK(Walk(dir / "logs/*/*.log") == Paths{dir / "logs/a/x.log", dir / "logs/linked/y.log"});
}

TEST_CASE("PathPattern::Walk: no wildcard descends into /proc") {
  Collector c;
  PathPattern("/*/self/status").Walk(c);
  CHECK(std::find(c.files.begin(), c.files.end(), "/proc/self/status") == c.files.end());
  // Named in the fixed part it is read like any path.
  CHECK(Walk("/proc/self/stat*") ==
        Paths{"/proc/self/stat", "/proc/self/statm", "/proc/self/status"});
}

TEST_CASE("PathPattern::Walk: reports the directories to watch, or the nearest existing ancestor") {
  TempDir dir("path-pattern");
  dir.Write("a/app/x.log", "");
  Collector c;
  PathPattern(dir / "*/app/*.log").Walk(c);
  CHECK(c.dirs == Paths{dir.path(), dir / "a", dir / "a/app"});

  Collector missing;
  PathPattern(dir / "not/yet/*.log").Walk(missing);
  CHECK(missing.dirs == Paths{dir.path()});
  Collector literal;
  PathPattern(dir / "not/yet.log").Walk(literal);
  CHECK(literal.dirs == Paths{dir.path()});
}

TEST_CASE("PathExcludes: file names without a slash, whole paths with one") {
  PathExcludes excludes({"*.gz", "*.[0-9]", "/var/log/app/debug/**"});
  CHECK(excludes.Excludes("/var/log/app/access.log.2.gz"));
  CHECK(excludes.Excludes("/var/log/app/access.log.1"));
  CHECK(excludes.Excludes("/var/log/app/debug/x/trace.log"));
  CHECK_FALSE(excludes.Excludes("/var/log/app/access.log"));
  CHECK_FALSE(excludes.Excludes("/var/log/app/gz/access.log"));
  CHECK_FALSE(excludes.Excludes("/var/log/app/debug.log"));
  CHECK_FALSE(PathExcludes({}).Excludes("/var/log/a.log"));
}

}  // namespace
}  // namespace metrics_adapter
