// LoadConfig for the pulled `exec` and `status_file` sources: every field,
// the defaults, and each error and warning with its text and position.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "adapter/config/config.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

using std::chrono::milliseconds;

struct Loaded {
  std::optional<AdapterConfig> config;
  std::string diagnostics;  // the temporary directory removed from paths
};

Loaded Load(const TempDir& dir, const std::string& sources) {
  Diagnostics diags;
  Loaded out;
  out.config = LoadConfig(dir.Write("adapter.yaml", "sources:\n" + sources), diags);
  out.diagnostics = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = out.diagnostics.find(prefix)) != std::string::npos;) {
    out.diagnostics.erase(at, prefix.size());
  }
  return out;
}

TEST_CASE("LoadConfig reads an exec source and a status_file source") {
  TempDir dir("exec-config-test");
  dir.Write("work/.keep", "");
  Loaded loaded = Load(dir, R"(  - name: varnish
    type: exec
    command: [sh, -c, "varnishstat -j"]
    env: {VARNISH_NAME: cache1, LANG: C}
    working_dir: work
    timeout: 500ms
    max_output_bytes: 65536
    parser: json
    rules: [varnish.yaml]
  - name: app
    type: status_file
    path: run/status.json
    max_body_bytes: 4096
    parser: json
    rules: [app.yaml]
  - name: defaults
    type: exec
    command: [/bin/true]
    rules: [app.yaml]
)");
  CHECK(loaded.diagnostics == "");
  REQUIRE(loaded.config.has_value());
  REQUIRE(loaded.config->sources.size() == 3);
  const SourceConfig& varnish = loaded.config->sources[0];
  CHECK(varnish.pulled());
  CHECK(varnish.exec.command == std::vector<std::string>{"sh", "-c", "varnishstat -j"});
  CHECK(varnish.exec.env == std::vector<std::pair<std::string, std::string>>{
                                {"VARNISH_NAME", "cache1"}, {"LANG", "C"}});
  CHECK(varnish.exec.working_dir == dir / "work");
  CHECK(varnish.exec.timeout == milliseconds(500));
  CHECK(varnish.exec.max_body_bytes == 65536);
  const SourceConfig& app = loaded.config->sources[1];
  CHECK(app.pulled());
  CHECK(app.status_file.path == dir / "run/status.json");
  CHECK(app.status_file.max_body_bytes == 4096);
  const ExecFetchOptions defaults;
  const SourceConfig& plain = loaded.config->sources[2];
  CHECK(plain.exec.timeout == defaults.timeout);
  CHECK(plain.exec.max_body_bytes == defaults.max_body_bytes);
  CHECK(plain.exec.env.empty());
  CHECK(plain.exec.working_dir.empty());
}

TEST_CASE("LoadConfig reports bad exec and status_file sources at their keys") {
  TempDir dir("exec-config-test");
  Loaded loaded = Load(dir, R"(  - name: empty
    type: exec
    command: []
    rules: [r.yaml]
  - name: relative
    type: exec
    command: [bin/status]
    rules: [r.yaml]
  - name: env
    type: exec
    command: [/bin/true]
    env: [A=1]
    max_body_bytes: 10
    rules: [r.yaml]
  - name: env_name
    type: exec
    command: [/bin/true]
    env: {"A=B": 1}
    max_output_bytes: 0
    rules: [r.yaml]
  - name: nothing
    type: exec
    rules: [r.yaml]
  - name: file
    type: status_file
    timeout: 1s
    rules: [r.yaml]
)");
  CHECK(loaded.diagnostics ==
        "adapter.yaml:4:14: error: \"command\" must name a program, e.g. [varnishstat, -j]\n"
        "adapter.yaml:8:14: error: \"command\": \"bin/status\" must be an absolute path or a "
        "program name looked up on PATH\n"
        "adapter.yaml:13:10: error: \"env\" must map variable names to values\n"
        "adapter.yaml:14:5: error: unknown key \"max_body_bytes\" in source\n"
        "adapter.yaml:19:11: error: \"env\": \"A=B\" needs a name without '=' and a scalar value\n"
        "adapter.yaml:20:23: error: \"max_output_bytes\" must be between 1 and 1073741824\n"
        "adapter.yaml:22:5: error: source is missing required key \"command\"\n"
        "adapter.yaml:25:5: error: source is missing required key \"path\"\n"
        "adapter.yaml:27:5: error: unknown key \"timeout\" in source\n");
}

TEST_CASE("LoadConfig warns when an exec program is not there, without refusing the config") {
  TempDir dir("exec-config-test");
  Loaded loaded = Load(dir, R"(  - name: missing
    type: exec
    command: [metrics-adapter-no-such-program, -j]
    env: {PATH: /nonexistent}
    rules: [r.yaml]
  - name: absolute
    type: exec
    command: [/nonexistent/varnishstat]
    working_dir: /nonexistent
    rules: [r.yaml]
)");
  CHECK(loaded.diagnostics ==
        "adapter.yaml:4:14: warning: \"command\": \"metrics-adapter-no-such-program\" is not "
        "found on PATH \"/nonexistent\"; scrapes fail until it is\n"
        "adapter.yaml:9:14: warning: \"command\": \"/nonexistent/varnishstat\" is not an "
        "executable file here; scrapes fail until it is\n"
        "adapter.yaml:10:18: warning: \"working_dir\": \"/nonexistent\" is not a directory here\n");
}

}  // namespace
}  // namespace metrics_adapter
