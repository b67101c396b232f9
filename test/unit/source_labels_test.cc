// Source constant labels (`labels:` on a source): checked against the
// schema's `source_labels`, added to every series the source writes,
// streamed or pulled, and swapped by a reload (a bad one keeps the old).
#include "adapter/runtime/source_labels.h"

#include <doctest/doctest.h>

#include <string>

#include "adapter/runtime/runtime.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

constexpr const char* kRules = R"(source_labels: [service, instance_name]
metrics:
  - {name: app_lines_total, type: counter, help: Lines., labels: [kind]}
  - {name: app_other_total, type: counter, help: Other lines., source_labels: []}
rules:
  - name: line
    match: '^line (?P<kind>\w+)$'
    emit: [{metric: app_lines_total, labels: {kind: $kind}}]
)";
// A rule writing the family that allows no source label.
constexpr const char* kOtherRule =
    "  - {name: other, match: '^other$', emit: [{metric: app_other_total}]}\n";

struct Loaded {
  std::optional<LoadedConfig> config;
  std::string diags;
};

Loaded Load(TempDir& dir, const std::string& config_yaml, const std::string& rules = kRules) {
  dir.Write("rules.yaml", rules);
  Diagnostics diags;
  Loaded loaded;
  std::optional<AdapterConfig> config = LoadConfig(dir.Write("adapter.yaml", config_yaml), diags);
  if (config && !diags.HasErrors()) loaded.config = LoadConfigRules(*config, diags);
  loaded.diags = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = loaded.diags.find(prefix)) != std::string::npos;) {
    loaded.diags.erase(at, prefix.size());
  }
  return loaded;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("labels are added after the family's own, values per source") {
  TempDir dir;
  const Loaded l = Load(dir, R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: {service: web, instance_name: a}}
  - {name: b, type: file, paths: [b.log], rules: [rules.yaml], labels: {service: web}}
  - {name: c, type: file, paths: [c.log], rules: [rules.yaml], labels: {service: api}}
)",
                        R"(source_labels: [service, instance_name]
metrics:
  - {name: app_lines_total, type: counter, help: Lines., labels: [kind]}
rules:
  - name: line
    match: '^line (?P<kind>\w+)$'
    emit: [{metric: app_lines_total, labels: {kind: $kind}}]
)");
  REQUIRE_MESSAGE(l.config, l.diags);
  const FamilySpec& family = l.config->schema->at(0);
  CHECK(family.labels == std::vector<std::string>{"kind", "instance_name", "service"});
  REQUIRE(l.config->sources[0].labels);
  CHECK(std::vector<std::string>(l.config->sources[0].labels->For(0).begin(),
                                 l.config->sources[0].labels->For(0).end()) ==
        std::vector<std::string>{"a", "web"});
  CHECK(std::vector<std::string>(l.config->sources[1].labels->For(0).begin(),
                                 l.config->sources[1].labels->For(0).end()) ==
        std::vector<std::string>{"", "web"});
}

TEST_CASE("without labels the schema is as declared and sources add nothing") {
  TempDir dir;
  const Loaded l =
      Load(dir, "sources:\n  - {name: a, type: file, paths: [a.log], rules: [rules.yaml]}\n");
  REQUIRE_MESSAGE(l.config, l.diags);
  CHECK(l.config->schema->at(0).labels == std::vector<std::string>{"kind"});
  CHECK(l.config->sources[0].labels == nullptr);
}

TEST_CASE("a label the family does not allow: config line, source and family named") {
  TempDir dir;
  const Loaded l = Load(dir, R"(sources:
  - name: a
    type: file
    paths: [a.log]
    rules: [rules.yaml]
    labels: {service: web}
)",
                        std::string(kRules) + kOtherRule);
  CHECK_FALSE(l.config);
  CHECK(Has(l.diags,
            "adapter.yaml:6:14: error: source \"a\": label \"service\" is not allowed on "
            "family \"app_other_total\" (declared at rules.yaml:4:12, source_labels: "
            "[]); allow it in the schema's \"source_labels\""));
}

TEST_CASE("label names: syntax, target labels and empty values are refused in the config") {
  TempDir dir;
  const Loaded l = Load(dir, R"(sources:
  - name: a
    type: file
    paths: [a.log]
    rules: [rules.yaml]
    labels: {job: web, instance: a, 1x: b, __x: c, service: ""}
)");
  CHECK_FALSE(l.config);
  CHECK(Has(l.diags, "source \"a\": \"labels\": \"job\" is a Prometheus target label"));
  CHECK(Has(l.diags, "source \"a\": \"labels\": \"instance\" is a Prometheus target label"));
  CHECK(Has(l.diags, "\"1x\" is not a valid label name"));
  CHECK(Has(l.diags, "\"__x\" is not a valid label name"));
  CHECK(Has(l.diags, "\"service\" needs a value that is not empty"));
}

TEST_CASE("a label name given twice is refused") {
  TempDir dir;
  const Loaded l = Load(dir, R"(sources:
  - name: a
    type: file
    paths: [a.log]
    rules: [rules.yaml]
    labels: {service: web, service: api}
)");
  CHECK_FALSE(l.config);
  CHECK(Has(l.diags, "source \"a\": \"labels\": \"service\" is given twice"));
}

TEST_CASE("schema: a source label cannot be one of the family's labels, job or instance") {
  TempDir dir;
  const Loaded l =
      Load(dir, "sources:\n  - {name: a, type: file, paths: [a.log], rules: [rules.yaml]}\n",
           R"(source_labels: [kind, job]
metrics:
  - {name: app_lines_total, type: counter, help: Lines., labels: [kind]}
rules: []
)");
  CHECK_FALSE(l.config);
  CHECK(Has(l.diags, "\"source_labels\": \"job\" is a Prometheus target label"));
  CHECK(Has(l.diags, "source label \"kind\" is already a label of family \"app_lines_total\""));
}

TEST_CASE("schema: families declared twice must allow the same source labels") {
  TempDir dir;
  dir.Write("other.yaml", R"(metrics:
  - {name: app_lines_total, type: counter, help: Lines., labels: [kind]}
rules: []
)");
  const Loaded l = Load(
      dir,
      "sources:\n  - {name: a, type: file, paths: [a.log], rules: [rules.yaml, other.yaml]}\n");
  CHECK_FALSE(l.config);
  CHECK(Has(l.diags, "(source_labels differ)"));
}

// What the adapter serves for app_lines_total and app_other_total.
std::string Served(Runtime& runtime) {
  std::string out;
  const std::string body = runtime.Exposition();
  std::size_t start = 0;
  while (start < body.size()) {
    const std::size_t end = body.find('\n', start);
    const std::string line = body.substr(start, end - start);
    if (line.starts_with("app_")) out += line + "\n";
    start = end == std::string::npos ? body.size() : end + 1;
  }
  return out;
}

TEST_CASE("streamed and pulled sources write their labels; a reload swaps them") {
  TempDir dir;
  dir.Write("rules.yaml", kRules);
  dir.Write("a.log", "line get\nline get\nline put\n");
  dir.Write("b.txt", "line get\n");
  const auto config_with = [&](const std::string& a_labels, const std::string& b_labels) {
    Diagnostics diags;
    std::optional<AdapterConfig> config = LoadConfig(
        dir.Write("adapter.yaml",
                  "sources:\n"
                  "  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], labels: " +
                      a_labels +
                      "}\n"
                      "  - {name: b, type: status_file, path: b.txt, parser: line, rules: "
                      "[rules.yaml], labels: " +
                      b_labels + "}\n"),
        diags);
    REQUIRE_MESSAGE(config, diags.Format());
    return *config;
  };
  Diagnostics diags;
  std::unique_ptr<Runtime> runtime =
      Runtime::Build(config_with("{service: a}", "{service: b}"), RunMode::kOnce, diags);
  REQUIRE_MESSAGE(runtime, diags.Format());
  runtime->ReadOnce();
  // The streamed store first, then each pulled source's.
  CHECK(Served(*runtime) ==
        "app_lines_total{kind=\"get\",service=\"a\"} 2\n"
        "app_lines_total{kind=\"put\",service=\"a\"} 1\n"
        "app_lines_total{kind=\"get\",service=\"b\"} 1\n");

  // A bad reload (a label the family does not allow) keeps the old config.
  dir.Write("rules.yaml", std::string(kRules) + kOtherRule);
  Diagnostics bad;
  CHECK_FALSE(runtime->Reload(config_with("{service: a}", "{service: c}"), bad));
  CHECK(Has(bad.Format(), "label \"service\" is not allowed on family \"app_other_total\""));
  CHECK(Has(Served(*runtime), "app_lines_total{kind=\"get\",service=\"b\"} 1\n"));

  // A good reload: the pulled source's next scrape carries its new label.
  dir.Write("rules.yaml", kRules);
  Diagnostics good;
  REQUIRE_MESSAGE(runtime->Reload(config_with("{service: a}", "{service: c}"), good),
                  good.Format());
  const std::string served = Served(*runtime);
  CHECK(Has(served, "app_lines_total{kind=\"get\",service=\"c\"} 1\n"));
  CHECK_FALSE(Has(served, "service=\"b\""));
  // The pulled source's up carries its labels, the old ones gone with the old source.
  const std::string all = runtime->Exposition();
  CHECK(Has(all, "metrics_adapter_source_up{service=\"c\",source=\"b\"} 1\n"));
  CHECK_FALSE(Has(all, "metrics_adapter_source_up{service=\"b\""));
}

TEST_CASE("a streamed source's counters start at 0 with its labels") {
  TempDir dir;
  dir.Write("rules.yaml", R"(source_labels: [service]
metrics:
  - {name: app_errors_total, type: counter, help: Errors.}
rules:
  - {name: error, match: '^error$', emit: [{metric: app_errors_total}]}
)");
  dir.Write("a.log", "");
  Diagnostics diags;
  std::optional<AdapterConfig> config = LoadConfig(
      dir.Write("adapter.yaml",
                "sources:\n  - {name: a, type: file, paths: [a.log], rules: [rules.yaml], "
                "labels: {service: web}}\n"),
      diags);
  REQUIRE_MESSAGE(config, diags.Format());
  std::unique_ptr<Runtime> runtime = Runtime::Build(*config, RunMode::kOnce, diags);
  REQUIRE_MESSAGE(runtime, diags.Format());
  runtime->ReadOnce();
  CHECK(Served(*runtime) == "app_errors_total{service=\"web\"} 0\n");
}

}  // namespace
}  // namespace metrics_adapter
