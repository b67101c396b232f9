#include "adapter/sources/path_pattern.h"

#include <dirent.h>
#include <fnmatch.h>
#include <linux/magic.h>
#include <sys/statfs.h>

#include <cerrno>
#include <set>
#include <utility>

namespace metrics_adapter {
namespace {

constexpr std::string_view kGlobstar = "**";

bool HasWildcard(std::string_view component) {
  return component.find_first_of("*?[") != std::string_view::npos;
}

// The components of `path` between slashes, empty ones (from "//" or a
// trailing '/') left out.
std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string Parent(const std::string& dir) {
  const std::size_t slash = dir.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return dir.substr(0, slash);
}

// `dir` if it is a directory, else its nearest ancestor that is ("/" or "."
// at worst).
std::string ExistingAncestor(std::string dir) {
  while (true) {
    struct stat st;
    if ((stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) || dir == "/" || dir == ".") {
      return dir;
    }
    dir = Parent(dir);
  }
}

// File systems the kernel makes up: walking them finds no logs and some of
// them are huge or recursive (/proc/self/root).
bool IsKernelFileSystem(const std::string& dir) {
  struct statfs fs;
  if (statfs(dir.c_str(), &fs) != 0) return false;  // the listing reports the error
  switch (static_cast<unsigned long>(fs.f_type)) {  // NOLINT(google-runtime-int): statfs's type
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
    case PSTOREFS_MAGIC:
    case BINFMTFS_MAGIC:
      return true;
    default:
      return false;
  }
}

// Whether names[ni...] match pattern[pi...] (see PathPattern::Matches).
bool MatchFrom(const std::vector<std::string>& pattern, std::size_t pi,
               const std::vector<std::string>& names, std::size_t ni) {
  for (; pi < pattern.size(); ++pi, ++ni) {
    if (pattern[pi] == kGlobstar) {
      const bool last = pi + 1 == pattern.size();
      if (last && ni == names.size()) return false;  // `dir/**` names what is below dir
      for (std::size_t k = ni; k <= names.size(); ++k) {
        if (MatchFrom(pattern, pi + 1, names, k)) return true;
        if (k < names.size() && names[k].front() == '.') return false;  // hidden: as the walk
      }
      return false;
    }
    if (ni == names.size() || fnmatch(pattern[pi].c_str(), names[ni].c_str(), FNM_PERIOD) != 0) {
      return false;
    }
  }
  return ni == names.size();
}

}  // namespace

PathPattern::PathPattern(std::string_view text)
    : text_(text), absolute_(!text.empty() && text.front() == '/') {
  components_ = Split(text);
  std::size_t fixed = 0;  // components in the fixed directory part
  while (fixed < components_.size() && !HasWildcard(components_[fixed])) ++fixed;
  literal_ = fixed == components_.size();
  if (literal_ && fixed > 0) --fixed;  // the file name is not part of the directory
  for (std::size_t i = 0; i < fixed; ++i) {
    if (i > 0 || absolute_) fixed_dir_ += '/';
    fixed_dir_ += components_[i];
  }
  if (fixed_dir_.empty()) {
    fixed_dir_ = absolute_ ? "/" : ".";
    prefix_ = absolute_ ? "/" : "";
  } else {
    prefix_ = fixed_dir_ + "/";
  }
  rest_.assign(components_.begin() + static_cast<std::ptrdiff_t>(fixed), components_.end());
}

bool PathPattern::Matches(std::string_view path) const {
  const bool absolute = !path.empty() && path.front() == '/';
  return absolute == absolute_ && MatchFrom(components_, 0, Split(path), 0);
}

// One walk of one pattern; see PathPattern::Walk.
class PathPattern::Walker {
 public:
  Walker(const PathPattern& pattern, PathWalkVisitor& visitor, bool follow_symlinks)
      : pattern_(pattern), visitor_(visitor), follow_symlinks_(follow_symlinks) {}

  void Start() {
    if (pattern_.literal_) {
      visitor_.OnDirectory(ExistingAncestor(pattern_.fixed_dir_));
      if (!pattern_.rest_.empty()) File(pattern_.text_);
      return;
    }
    struct stat st;
    const bool found = stat(pattern_.fixed_dir_.c_str(), &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
      const int err = found ? ENOTDIR : errno;
      if (err == ENOENT || err == ENOTDIR) {
        // Not there yet: watch where it will appear.
        visitor_.OnDirectory(ExistingAncestor(Parent(pattern_.fixed_dir_)));
      } else {
        visitor_.OnError(pattern_.fixed_dir_, "stat", err);
      }
      return;
    }
    Visit(pattern_.fixed_dir_, pattern_.prefix_, 0, 0, st.st_dev);
  }

 private:
  // Matches rest_[index...] below `dir`, whose entries are spelled `prefix`
  // + name. `depth` counts the directories `**` descended so far.
  void Visit(const std::string& dir, const std::string& prefix, std::size_t index, int depth,
             dev_t dev) {
    if (!visited_.emplace(dir, index).second) return;
    visitor_.OnDirectory(dir);
    const std::string& component = pattern_.rest_[index];
    const bool last = index + 1 == pattern_.rest_.size();
    if (component == kGlobstar) {
      Globstar(dir, prefix, index, depth, dev);
    } else if (!HasWildcard(component)) {
      if (last) {
        File(prefix + component);
      } else {
        Descend(prefix + component, index + 1, depth, dev, /*follow=*/true);
      }
    } else {
      ForEachEntry(dir, [&](const char* name, unsigned char type) {
        if (fnmatch(component.c_str(), name, FNM_PERIOD) != 0) return;
        if (last) {
          if (type != DT_DIR) File(prefix + name);
        } else if (type == DT_DIR || type == DT_LNK || type == DT_UNKNOWN) {
          Descend(prefix + name, index + 1, depth, dev, /*follow=*/true);
        }
      });
    }
  }

  // rest_[index] is `**`: the rest of the pattern here (no directory), and
  // `**` again in every subdirectory, within the depth bound.
  void Globstar(const std::string& dir, const std::string& prefix, std::size_t index, int depth,
                dev_t dev) {
    const std::vector<std::string>& rest = pattern_.rest_;
    const bool last = index + 1 == rest.size();
    // `**/NAME` (NAME last, not `**`), the usual form: the file names are
    // matched in the same listing as the subdirectories are found.
    const std::string* name_pattern =
        index + 2 == rest.size() && rest[index + 1] != kGlobstar ? &rest[index + 1] : nullptr;
    if (!last && name_pattern == nullptr) Visit(dir, prefix, index + 1, depth, dev);
    ForEachEntry(dir, [&](const char* name, unsigned char type) {
      if (name_pattern != nullptr && type != DT_DIR &&
          fnmatch(name_pattern->c_str(), name, FNM_PERIOD) == 0) {
        File(prefix + name);
      }
      if (name[0] == '.') return;  // hidden entries, as FNM_PERIOD leaves them out
      if (last && type != DT_DIR) File(prefix + name);
      if ((type == DT_DIR || type == DT_UNKNOWN) && depth < kMaxGlobstarDepth) {
        Descend(prefix + name, index, depth + 1, dev, /*follow=*/false);
      }
    });
  }

  // Goes into `path` if it is a directory (a symbolic link to one only when
  // `follow`) on a file system that is not the kernel's.
  void Descend(const std::string& path, std::size_t index, int depth, dev_t parent_dev,
               bool follow) {
    struct stat st;
    if ((follow && follow_symlinks_ ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) visitor_.OnError(path, "stat", errno);
      return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    if (st.st_dev != parent_dev && IsKernelFileSystem(path)) return;
    std::string prefix = path + "/";
    Visit(path, prefix, index, depth, st.st_dev);
  }

  void File(std::string path) {
    struct stat st;
    if ((follow_symlinks_ ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) != 0) {
      // ENOENT: removed since listed, or a dangling symlink: nothing to read.
      if (errno != ENOENT && errno != ENOTDIR) visitor_.OnError(path, "stat", errno);
      return;
    }
    if (S_ISREG(st.st_mode)) {
      visitor_.OnFile(std::move(path), st);
    } else {
      visitor_.OnNotRegular(path, st);
    }
  }

  // Calls fn(name, d_type) for every entry but "." and "..". A directory
  // that does not exist (any more) has no entries; other failures are
  // reported.
  template <typename Fn>
  void ForEachEntry(const std::string& dir, Fn fn) {
    DIR* handle = opendir(dir.c_str());
    if (handle == nullptr) {
      if (errno != ENOENT && errno != ENOTDIR) visitor_.OnError(dir, "opendir", errno);
      return;
    }
    while (true) {
      errno = 0;
      const dirent* entry = readdir(handle);
      if (entry == nullptr) {
        if (errno != 0) visitor_.OnError(dir, "readdir", errno);
        break;
      }
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      fn(entry->d_name, entry->d_type);
    }
    closedir(handle);
  }

  const PathPattern& pattern_;
  PathWalkVisitor& visitor_;
  const bool follow_symlinks_;
  std::set<std::pair<std::string, std::size_t>> visited_;  // (directory, component index)
};

void PathPattern::Walk(PathWalkVisitor& visitor, bool follow_symlinks) const {
  if (components_.empty()) return;  // "" or "/": names no file
  Walker(*this, visitor, follow_symlinks).Start();
}

PathExcludes::PathExcludes(const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    if (pattern.find('/') == std::string::npos) {
      names_.push_back(pattern);
    } else {
      paths_.emplace_back(pattern);
    }
  }
}

bool PathExcludes::Excludes(const std::string& path) const {
  const std::size_t slash = path.rfind('/');
  const char* name = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  for (const std::string& pattern : names_) {
    if (fnmatch(pattern.c_str(), name, 0) == 0) return true;
  }
  for (const PathPattern& pattern : paths_) {
    if (pattern.Matches(path)) return true;
  }
  return false;
}

}  // namespace metrics_adapter
