// LoadConfig on a file source's paths: `exclude`, and the warning for a path
// whose fixed directory does not exist.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "adapter/config/config.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

TEST_CASE("LoadConfig warns, without refusing, about a path whose directory does not exist") {
  TempDir dir("config-paths");
  dir.Write("logs/a/app.log", "");
  dir.Write("rules.yaml", "parser: line\nrules: []\n");
  const std::string path = dir.Write("adapter.yaml", R"(sources:
  - name: s
    type: file
    paths: [logs/*/app.log, logs/**/x.log, logz/*/app.log, logs/b/app.log]
    rules: [rules.yaml]
)");
  Diagnostics diags;
  std::optional<AdapterConfig> config = LoadConfig(path, diags);
  REQUIRE(config.has_value());
  CHECK(diags.error_count() == 0);
  CHECK(diags.Format() ==
        path + ":4:12: warning: directory \"" + dir / "logz" + "\" of path \"" +
            dir / "logz/*/app.log" + "\" does not exist: nothing is read from it until it does\n" +
            path + ":4:12: warning: directory \"" + dir / "logs/b" + "\" of path \"" +
            dir / "logs/b/app.log" + "\" does not exist: nothing is read from it until it does\n");
}

TEST_CASE("LoadConfig reads exclude: names as written, paths resolved like paths") {
  TempDir dir("config-paths");
  dir.Write("rules.yaml", "parser: line\nrules: []\n");
  const std::string path = dir.Write("adapter.yaml", R"(sources:
  - name: s
    type: file
    paths: ["**/*.log"]
    exclude: ["*.gz", debug/**, /abs/*.log]
    rules: [rules.yaml]
)");
  Diagnostics diags;
  std::optional<AdapterConfig> config = LoadConfig(path, diags);
  CHECK(diags.Format() == "");
  REQUIRE(config.has_value());
  CHECK(config->sources[0].tailer.exclude ==
        std::vector<std::string>{"*.gz", dir / "debug/**", "/abs/*.log"});
}

}  // namespace
}  // namespace metrics_adapter
