// Test helper: a fresh directory under /tmp, removed with everything in it
// when the object goes, even when a test fails (permission bits a test took
// away are restored first, so removal works without root).
//
// Usage:
//   TempDir dir("config-test");
//   std::string path = dir.Write("rules/a.yaml", "rules: []\n");
//   Append(dir / "app.log", "line\n");
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace metrics_adapter {

class TempDir {
 public:
  // `prefix` names the directory (/tmp/PREFIX-XXXXXX), to tell tests apart.
  explicit TempDir(const std::string& prefix = "metrics-adapter-test") {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    namespace fs = std::filesystem;
    std::error_code ec;
    chmod(path_.c_str(), 0700);
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      chmod(it->path().c_str(), it->is_directory(ec) ? 0700 : 0600);
    }
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` (a path relative to the directory, its parent
  // directories created) and returns the file's full path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = *this / name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // The full path of `name` in the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace metrics_adapter
