// A libFuzzer target for loading a config and its rule and schema files:
// YAML text in, a checked config and compiled rules out, or errors; never a
// crash, a hang, a leak or undefined behaviour.
//
// The input is a few files, each after a header line `==> NAME <==` (as
// `head` prints several files), e.g.
//   ==> adapter.yaml <==
//   sources: [{name: app, type: file, paths: [a.log], rules: [rules.yaml]}]
//   ==> rules.yaml <==
//   schema: [schema.yaml]
//   rules: ...
// NAME is [a-z0-9_.-]+ and not "." or ".."; bytes before the first header and
// files with other names are ignored. The files are written to a private
// directory, then
//   1. adapter.yaml, if given, is loaded and checked (LoadConfig) and, when
//      clean, its sources' rule files loaded into one schema
//      (LoadConfigRules), as `metrics-adapter check` does;
//   2. rules.yaml, if given, is loaded on its own and its embedded tests run
//      (RunRuleTests, as `metrics-adapter test` does), which drives the
//      compiled rules over the tests' inputs;
// and every report is formatted. Inputs naming paths under /dev, /proc or
// /sys are skipped: a config may name any file, and reading /dev/zero is a
// way to hang that says nothing about the loaders.
// Built like parser_fuzzer.cc (see test/fuzz/CMakeLists.txt).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/cli/rule_tests.h"
#include "adapter/config/config.h"
#include "adapter/runtime/loaded_config.h"

namespace {

namespace fs = std::filesystem;
using metrics_adapter::Diagnostics;

void Check(bool condition) {
  if (!condition) std::abort();
}

// The private directory the files go to, made once per process and removed
// at its exit.
struct TempDirectory {
  fs::path path;
  TempDirectory() {
    std::string pattern = (fs::temp_directory_path() / "config-fuzz-XXXXXX").string();
    Check(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path& Directory() {
  static const TempDirectory dir;
  return dir.path;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The input's files, by name, in order; a later file of the same name wins.
std::vector<std::pair<std::string, std::string_view>> SplitFiles(std::string_view input) {
  constexpr std::string_view kOpen = "==> ", kClose = " <==";
  std::vector<std::pair<std::string, std::string_view>> files;
  std::size_t pos = 0;
  std::optional<std::string> name;
  std::size_t body_start = 0;
  while (pos <= input.size()) {
    std::size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(pos, end - pos);
    if (line.starts_with(kOpen) && line.ends_with(kClose) &&
        line.size() >= kOpen.size() + kClose.size()) {
      if (name) files.emplace_back(*name, input.substr(body_start, pos - body_start));
      const std::string_view header =
          line.substr(kOpen.size(), line.size() - kOpen.size() - kClose.size());
      name = ValidName(header) ? std::optional<std::string>(header) : std::nullopt;
      body_start = std::min(end + 1, input.size());
    }
    pos = end + 1;
  }
  if (name) files.emplace_back(*name, input.substr(body_start));
  return files;
}

void Load(const fs::path& dir, bool has_config, bool has_rules) {
  if (has_config) {
    Diagnostics diags;
    const std::optional<metrics_adapter::AdapterConfig> config =
        metrics_adapter::LoadConfig((dir / "adapter.yaml").string(), diags);
    if (config && !diags.HasErrors()) {
      std::vector<std::string> files_read;
      const std::optional<metrics_adapter::LoadedConfig> loaded =
          metrics_adapter::LoadConfigRules(*config, diags, &files_read);
      if (loaded) {
        Check(!diags.HasErrors() && loaded->schema != nullptr);
        Check(loaded->sources.size() == config->sources.size());
        for (const metrics_adapter::LoadedSource& source : loaded->sources) {
          Check(source.rules != nullptr);
        }
      } else {
        Check(diags.HasErrors());
      }
    }
    Check(!diags.Format().empty() || diags.all().empty());
  }
  if (has_rules) {
    std::ostringstream report;
    metrics_adapter::RunRuleTests({(dir / "rules.yaml").string()}, report);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::string_view device : {"/dev/", "/proc/", "/sys/"}) {
    if (input.find(device) != std::string_view::npos) return 0;
  }
  const fs::path& dir = Directory();
  bool has_config = false, has_rules = false;
  for (const auto& [name, text] : SplitFiles(input)) {
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc)
        .write(text.data(), static_cast<std::streamsize>(text.size()));
    has_config |= name == "adapter.yaml";
    has_rules |= name == "rules.yaml";
  }
  Load(dir, has_config, has_rules);
  // The next input starts from an empty directory.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
  return 0;
}
