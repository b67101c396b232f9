// CheckCollisions through LoadConfigRules: two sources writing one family
// are refused with both sources, the family and the rules named, unless
// their constant labels tell them apart; `shared_families` allows it only
// where the sources' updates add up.
#include "adapter/runtime/collisions.h"

#include <doctest/doctest.h>

#include <string>

#include "adapter/runtime/loaded_config.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// One counter family, incremented per line; one gauge family, set.
constexpr const char* kRules = R"(source_labels: [service, zone]
metrics:
  - {name: app_lines_total, type: counter, help: Lines.}
  - {name: app_level, type: gauge, help: A level.}
rules:
  - name: line
    match: '^line$'
    emit: [{metric: app_lines_total}]
  - name: level
    match: '^level (?P<v>\d+)$'
    emit: [{metric: app_level, set: $v}]
)";

struct Result {
  bool loaded = false;
  std::string diags;
};

// Loads `config_yaml` (with rules.yaml beside it) and every rule file.
Result Load(const std::string& config_yaml) {
  TempDir dir;
  dir.Write("rules.yaml", kRules);
  Diagnostics diags;
  Result result;
  std::optional<AdapterConfig> config = LoadConfig(dir.Write("adapter.yaml", config_yaml), diags);
  REQUIRE(config);
  REQUIRE_FALSE(diags.HasErrors());
  result.loaded = LoadConfigRules(*config, diags).has_value();
  result.diags = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = result.diags.find(prefix)) != std::string::npos;) {
    result.diags.erase(at, prefix.size());
  }
  return result;
}

constexpr const char* kTwoFiles = R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml]}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml]}
)";

TEST_CASE("two sources over one rule file: refused, each family they both write named") {
  const Result r = Load(kTwoFiles);
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("adapter.yaml:3:5: error: source \"a\" (adapter.yaml:2:5, its rule at "
                     "rules.yaml:8:12) and source \"b\" (adapter.yaml:3:5, its rule at "
                     "rules.yaml:8:12) both write family \"app_lines_total\" with no constant "
                     "labels") != std::string::npos);
  CHECK(r.diags.find("both write family \"app_level\"") != std::string::npos);
}

TEST_CASE("told apart: different values of one constant label") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: web-a}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml], labels: {service: web-b}}
)");
  CHECK(r.loaded);
  CHECK(r.diags.empty());
}

TEST_CASE("told apart: a label only one of them has") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: web}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml]}
)");
  CHECK(r.loaded);
  CHECK(r.diags.empty());
}

TEST_CASE("not told apart: the same labels are a collision") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: web, zone: x}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml], labels: {zone: x, service: web}}
)");
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("both write family \"app_lines_total\" with the same constant labels "
                     "{service: \"web\", zone: \"x\"}") != std::string::npos);
}

TEST_CASE("partly overlapping values: one label differing is enough") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: web, zone: x}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml], labels: {service: web, zone: y}}
)");
  CHECK(r.loaded);
  CHECK(r.diags.empty());
}

TEST_CASE("partly overlapping sources: only the pair with equal labels is refused") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: x}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml], labels: {service: y}}
  - {name: c, type: file, paths: [c.log], rules: [rules.yaml], labels: {service: x}}
)");
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("source \"a\" (adapter.yaml:2:5, its rule at rules.yaml:8:12) and source "
                     "\"c\" (adapter.yaml:4:5") != std::string::npos);
  CHECK(r.diags.find("source \"b\" (") == std::string::npos);
}

TEST_CASE("pulled sources are told apart by labels too") {
  const Result r = Load(R"(sources:
  - {name: a, type: status_file, path: a.txt, parser: line, rules: [rules.yaml], labels: {service: a}}
  - {name: b, type: status_file, path: b.txt, parser: line, rules: [rules.yaml], labels: {service: b}}
)");
  CHECK(r.loaded);
  CHECK(r.diags.empty());
}

TEST_CASE("one source per family: nothing to report") {
  const Result r =
      Load("sources:\n  - {name: a, type: file, paths: [a.log], rules: [rules.yaml]}\n");
  CHECK(r.loaded);
  CHECK(r.diags.empty());
}

TEST_CASE("shared_families: streamed sources incrementing a counter add up") {
  const std::string config = std::string(kTwoFiles) + "shared_families: [app_lines_total]\n";
  const Result r = Load(config);
  CHECK_FALSE(r.loaded);  // app_level is not shared
  CHECK(r.diags.find("both write family \"app_lines_total\"") == std::string::npos);
  CHECK(r.diags.find("both write family \"app_level\"") != std::string::npos);
}

TEST_CASE("shared_families: a set does not add up, and is refused") {
  const Result r = Load(std::string(kTwoFiles) + "shared_families: [app_level]\n");
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("error: \"shared_families\": the sources writing \"app_level\" cannot add "
                     "up: source \"a\" sets it (rules.yaml:") != std::string::npos);
}

TEST_CASE("shared_families: pulled sources do not add up, and are refused") {
  const Result r = Load(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml]}
  - {name: b, type: status_file, path: b.txt, parser: line, rules: [rules.yaml]}
shared_families: [app_lines_total]
)");
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("source \"b\" is pulled (type \"status_file\")") != std::string::npos);
}

TEST_CASE("shared_families: a name no rule file declares is an error") {
  const Result r = Load(std::string(kTwoFiles) + "shared_families: [app_line_total]\n");
  CHECK_FALSE(r.loaded);
  CHECK(r.diags.find("\"shared_families\": no rule file of this config declares "
                     "\"app_line_total\"") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
