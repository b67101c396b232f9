// PathPattern: a path whose components may hold glob(7) wildcards, and the
// bounded walk of the file system that finds the files it names. It is how a
// `file` source's `paths` and `exclude` are read.
//
// A component is matched by fnmatch(3) (`*`, `?`, `[...]`; a leading `.` only
// by a literal `.`); a component that is exactly `**` matches any number of
// directories, none included (`/var/log/**/*.log` names /var/log/a.log and
// /var/log/x/y/a.log). A `**` last (`/var/log/**`) names every file below.
//
// The walk is bounded, so a pattern can never hang or loop:
//   - `**` descends at most kMaxGlobstarDepth directories and never into a
//     symbolic link to a directory (a single wildcard component, which adds
//     exactly one level, does follow one);
//   - with symbolic links not followed (Walk's follow_symlinks), none below
//     the fixed directory is entered or reported as a file;
//   - no wildcard descends into a kernel file system (proc, sysfs, devtmpfs,
//     cgroup, debugfs, tracefs, securityfs, ...); a fixed directory part may
//     name one;
//   - each directory is visited at most once per pattern component.
//
// Usage:
//   PathPattern pattern("/var/log/*/app/**/*.log");
//   pattern.fixed_dir();  // "/var/log": where the wildcards start
//   pattern.Walk(visitor);  // visitor.OnFile("/var/log/a/app/x/y.log", st) ...
//   pattern.Matches("/var/log/a/app/y.log");  // true
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

// What PathPattern::Walk reports. Called on the walking thread only.
class PathWalkVisitor {
 public:
  virtual ~PathWalkVisitor() = default;
  // A directory the walk is about to list or pass through, reported before it
  // is read, so that a watch added here sees every entry created after the
  // read. When the fixed directory part does not exist yet, its nearest
  // existing ancestor is reported instead (its creation is then seen).
  virtual void OnDirectory(const std::string& dir) = 0;
  // A regular file (symbolic links followed unless the walk was told not
  // to) whose path matches. `path` is spelled as the pattern is: its fixed
  // part, then the entries' names.
  virtual void OnFile(std::string path, const struct stat& st) = 0;
  // Something else at a matching path: a FIFO, a device, a socket, a
  // directory the pattern names as a file (`/var/log/app` where files are
  // meant, a symbolic link to a directory matched by `*`) — and, when
  // symbolic links are not followed, a symbolic link (`st` from lstat(2)).
  // A directory a wildcard matches by its directory entry is not reported:
  // wildcards pass over directories. The default ignores it.
  virtual void OnNotRegular(const std::string& /*path*/, const struct stat& /*st*/) {}
  // A directory that could not be listed, or a path that could not be
  // stat'ed, for a reason other than not existing. `call` names the system
  // call ("opendir", "stat"). The walk carries on with the rest.
  virtual void OnError(const std::string& path, std::string_view call, int err) = 0;
};

class PathPattern {
 public:
  // How many directories one `**` may descend.
  static constexpr int kMaxGlobstarDepth = 16;

  // Any text is a pattern: repeated and trailing slashes are ignored, a `**`
  // inside a component (`a**b`) is two `*`. A relative pattern is walked
  // from the working directory and its paths stay relative.
  explicit PathPattern(std::string_view text);

  const std::string& text() const { return text_; }
  // The longest leading directory part without wildcards: "/var/log" for
  // "/var/log/*/app.log", "/var/log/app" for "/var/log/app/a.log", "/" for
  // "/*/a.log", "." for "*.log".
  const std::string& fixed_dir() const { return fixed_dir_; }
  // Whether no component holds a wildcard: the pattern names one path.
  bool literal() const { return literal_; }

  // Whether `path`, split at '/', matches the pattern component by
  // component (a wildcard never matches a '/'; `**` matches any number of
  // whole components). Purely textual: the file system is not consulted.
  bool Matches(std::string_view path) const;

  // Lists the directories the pattern reaches and reports every regular file
  // it names (see PathWalkVisitor), within the bounds above. A path is
  // reported once per way the pattern reaches it (`/a/**/**/x` may find one
  // file twice); callers that need each file once deduplicate. With
  // `follow_symlinks` false, a symbolic link below fixed_dir() is neither
  // read as a file nor entered as a directory (the fixed directory part is
  // the config's own and is followed).
  void Walk(PathWalkVisitor& visitor, bool follow_symlinks = true) const;

 private:
  class Walker;

  std::string text_;
  std::string fixed_dir_;
  // Where reported paths start: fixed_dir_ and a '/', "/" for the root, ""
  // for "." (a relative pattern without a directory).
  std::string prefix_;
  std::vector<std::string> rest_;        // the components after fixed_dir_
  std::vector<std::string> components_;  // every component, for Matches
  bool absolute_ = false;
  bool literal_ = true;
};

// A file source's `exclude` list. A pattern without a '/' is matched against
// a file's name (`*.gz` excludes /var/log/app/old.gz); one with a '/' against
// the whole path, as PathPattern::Matches does.
//
// Usage:
//   PathExcludes excludes({"*.gz", "/var/log/app/debug/**"});
//   excludes.Excludes("/var/log/app/a.log.1.gz");  // true
class PathExcludes {
 public:
  explicit PathExcludes(const std::vector<std::string>& patterns);
  // Whether any pattern excludes `path`. Called once per file a scan finds,
  // never per line.
  bool Excludes(const std::string& path) const;

 private:
  std::vector<std::string> names_;  // fnmatch patterns for the file name
  std::vector<PathPattern> paths_;  // patterns for the whole path
};

}  // namespace metrics_adapter
