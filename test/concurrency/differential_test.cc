// One thread against several: the same inputs read by `once` with
// --pipeline.threads 1 and 2 (and 3, more lanes than cores) must give the
// same exposition, byte for byte. The inputs are the cases where order
// matters or state sits between lines: gauges set by later lines (with label
// values taken from the line and made by a template, which a slice's updates
// keep in different ways), a family
// whose max_series the input passes (which series exist depends on which
// came first), multi-line records, JSON lines with parse errors between them,
// and enough lines for several reads and many slices.
//
// Part of concurrency_tests, which scripts/test.sh also runs under
// ThreadSanitizer.
#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "adapter/config/config.h"
#include "adapter/runtime/runtime.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// A small deterministic generator (the test must be the same every run).
struct Lcg {
  std::uint64_t state;
  std::uint64_t Next(std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  }
};

// The exposition without the one line that is a wall-clock time.
std::string WithoutTimestamps(const std::string& exposition) {
  std::istringstream in(exposition);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("metrics_adapter_source_last_read_timestamp_seconds")) continue;
    out += line + "\n";
  }
  return out;
}

class Inputs : public TempDir {
 public:
  Inputs() : TempDir("differential") {
    WriteLogs();
    WriteRules();
    WriteConfig();
  }

  // What `once --pipeline.threads=threads` prints.
  std::string Once(std::size_t threads) const {
    Diagnostics diags;
    std::optional<AdapterConfig> config = LoadConfig(*this / "adapter.yaml", diags);
    INFO(diags.Format());
    REQUIRE(config);
    std::unique_ptr<Runtime> runtime = Runtime::Build(*config, RunMode::kOnce, diags, threads);
    REQUIRE(runtime);
    runtime->ReadOnce();
    return WithoutTimestamps(runtime->Exposition());
  }

 private:
  void WriteLogs() {
    Lcg rng{7};
    std::string access;
    const char* methods[] = {"GET", "GET", "POST", "PUT", "get"};
    for (int i = 0; i < 40000; ++i) {
      // Unmatched lines (a lower-case method) and invalid values among them.
      access += std::string(methods[rng.Next(5)]) + " /p" + std::to_string(rng.Next(300)) + " " +
                std::to_string(200 + 100 * rng.Next(4)) + " " + std::to_string(rng.Next(5000)) +
                " " + (rng.Next(50) == 0 ? "x" : std::to_string(rng.Next(1000))) + "\n";
    }
    Write("access.log", access);

    std::string json;
    for (int i = 0; i < 20000; ++i) {
      if (rng.Next(40) == 0) {
        json += "{\"broken\": \n";
        continue;
      }
      json += "{\"sensor\":\"s" + std::to_string(rng.Next(8)) +
              "\",\"temp\":" + std::to_string(rng.Next(100)) + ",\"level\":\"" +
              (rng.Next(3) ? "info" : "warn") + "\"}\n";
    }
    Write("app.json", json);

    std::string records;
    for (int i = 0; i < 8000; ++i) {
      records += "START job" + std::to_string(rng.Next(5)) + "\n";
      const std::uint64_t extra = rng.Next(4);
      for (std::uint64_t k = 0; k < extra; ++k) records += "  step " + std::to_string(k) + "\n";
      records += "  took " + std::to_string(rng.Next(900)) + "\n";
    }
    records += "START job9\n  took 1";  // the last record's line unterminated
    Write("jobs.log", records);

    // Sessions opened and closed far apart: a close reads the time its open
    // stored in a state table, so lines must meet the table in line order.
    std::string sessions;
    for (int i = 0; i < 20000; ++i) {
      const std::uint64_t client = rng.Next(50);
      sessions += (rng.Next(2) ? "OPEN c" : "CLOSE c") + std::to_string(client) + " " +
                  std::to_string(1000 + i) + "\n";
    }
    Write("sessions.log", sessions);
  }

  void WriteRules() {
    Write("access.yaml", R"(parser: line
metrics:
  - {name: requests_total, type: counter, help: Requests., labels: [method, status]}
  - {name: body_bytes_total, type: counter, help: Bytes., labels: [status]}
  - {name: last_value, type: gauge, help: Set by the latest line., labels: [status]}
  - {name: path_requests_total, type: counter, help: Bounded by max_series., labels: [path], max_series: 40}
  - {name: last_by_class, type: gauge, help: Set by the latest line; a label made by a template., labels: [class, method]}
rules:
  - name: request
    match: '^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+) (?P<bytes>\d+) (?P<value>\S+)$'
    emit:
      - {metric: requests_total, labels: {method: $method, status: $status}}
      - {metric: body_bytes_total, add: $bytes, labels: {status: $status}}
      - {metric: last_value, set: $value, labels: {status: $status}}
      - {metric: path_requests_total, labels: {path: $path}}
      - {metric: last_by_class, set: $bytes, labels: {class: 'c${status}', method: $method}}
)");
    Write("app.yaml", R"(parser: json
metrics:
  - {name: temp, type: gauge, help: Latest temperature., labels: [sensor]}
  - {name: records_total, type: counter, help: Records by level., labels: [level]}
rules:
  - {name: temp, match: '^temp$', emit: [{metric: temp, set: $value, labels: {sensor: '${label.sensor}'}}]}
  - {name: level, match: '^level$', emit: [{metric: records_total, labels: {level: '${label.value}'}}]}
)");
    Write("jobs.yaml", R"(parser: line
metrics:
  - {name: job_records_total, type: counter, help: Records by job and steps., labels: [task, last_step]}
  - {name: job_took, type: gauge, help: The latest record's time., labels: [task]}
rules:
  - name: job
    match: '^START (?P<job>\w+)\n(?:  step (?P<step>\d)\n)*  took (?P<took>\d+)$'
    emit:
      - {metric: job_records_total, labels: {task: $job, last_step: 's${step}'}}
      - {metric: job_took, set: $took, labels: {task: $job}}
)");
    Write("sessions.yaml", R"(parser: line
metrics:
  - {name: session_seconds_total, type: counter, help: Time from OPEN to CLOSE.}
  - {name: sessions_closed_total, type: counter, help: Sessions closed after an OPEN.}
state:
  - {name: opened, keys: [client], max_keys: 100}
rules:
  - name: open
    match: '^OPEN (?P<client>\S+) (?P<at>\d+)$'
    state_set: [{state: opened, key: [$client], value: $at}]
  - name: close
    match: '^CLOSE (?P<client>\S+) (?P<at>\d+)$'
    emit:
      - {metric: session_seconds_total, add: '$at - state.opened[$client]'}
      - {metric: sessions_closed_total, when: '$at - state.opened[$client] >= 0'}
    state_delete: [{state: opened, key: [$client]}]
)");
  }

  void WriteConfig() {
    Write("adapter.yaml",
          "sources:\n"
          "  - {name: access, type: file, paths: [" +
              (*this / "access.log") +
              "], parser: line, rules: [access.yaml]}\n"
              "  - {name: app, type: file, paths: [" +
              (*this / "app.json") +
              "], parser: json, rules: [app.yaml]}\n"
              "  - name: jobs\n    type: file\n    paths: [" +
              (*this / "jobs.log") +
              "]\n    parser: line\n    rules: [jobs.yaml]\n"
              "    multiline: {start: '^START '}\n"
              "  - {name: sessions, type: file, paths: [" +
              (*this / "sessions.log") + "], parser: line, rules: [sessions.yaml]}\n");
  }
};

TEST_CASE("two and three threads give one thread's exposition, byte for byte") {
  const Inputs inputs;
  const std::string one = inputs.Once(1);
  // The inputs reach what they are meant to: every source's rules matched,
  // parse errors, unmatched lines, invalid values and the overflow series.
  CHECK(one.find("requests_total{method=\"POST\"") != std::string::npos);
  CHECK(one.find("path_requests_total{path=\"__overflow__\"}") != std::string::npos);
  CHECK(one.find("last_by_class{class=\"c500\",method=\"PUT\"}") != std::string::npos);
  CHECK(one.find("temp{sensor=\"s3\"}") != std::string::npos);
  CHECK(one.find("job_records_total{task=\"job9\",last_step=\"s\"} 1") != std::string::npos);
  CHECK(one.find("metrics_adapter_parse_errors_total{reason=\"invalid_json\",source=\"app\"}") !=
        std::string::npos);
  CHECK(
      one.find("metrics_adapter_update_errors_total{reason=\"invalid_value\",source=\"access\"}") !=
      std::string::npos);
  CHECK(one.find("metrics_adapter_lines_unmatched_total{source=\"access\"}") != std::string::npos);
  CHECK(one.find("sessions_closed_total ") != std::string::npos);
  CHECK(inputs.Once(2) == one);
  CHECK(inputs.Once(3) == one);
}

}  // namespace
}  // namespace metrics_adapter
