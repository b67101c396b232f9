// The adapter config: where to listen and which sources to read, each with
// its parser and the rule files it applies. Written by the people running
// the adapter (usually in a ConfigMap); rule files are separate and reusable.
//
//   web:
//     listen_address: ":9469"
//   limits:
//     max_series_per_family: 10000
//   sources:
//     - name: nginx_access
//       type: file
//       paths: [/var/log/nginx/access.log]
//       parser: line
//       rules: [rules/library/nginx/combined.yaml]
//
// Relative paths (log globs and rule files) are relative to the directory of
// the config file, so a config and its rules can move together.
//
// Usage:
//   Diagnostics diags;
//   std::optional<AdapterConfig> config = LoadConfig("adapter.yaml", diags);
//   if (!config) std::cerr << diags.Format();
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/base/duration.h"
#include "adapter/sources/exec_fetch.h"
#include "adapter/sources/file_tailer.h"
#include "adapter/sources/http_fetch.h"
#include "adapter/sources/line_listener.h"
#include "adapter/sources/status_file.h"
#include "adapter/sources/tcp_fetch.h"
#include "parsers/parser_config.h"
#include "rules/schema.h"

namespace metrics_adapter {

inline constexpr const char* kDefaultListenAddress = ":9469";

// One of a source's constant labels (`labels: {service: cache}`): added to
// every series the source writes, so that sources writing the same family
// are told apart.
struct SourceLabel {
  std::string name;
  std::string value;
  SourcePosition position;  // of the name in the config
  bool operator==(const SourceLabel& other) const {
    return name == other.name && value == other.value;
  }
};

struct SourceConfig {
  std::string name;
  // "file" (tail logs), "http", "tcp", "exec" and "status_file" (pulled
  // when Prometheus scrapes), "udp" and "tcp_listener" (line protocols
  // pushed to the adapter).
  std::string type;
  // The parser as configured; when absent, the one the rule files name,
  // else `line`.
  std::optional<ParserChoice> parser;
  std::vector<std::string> rule_files;  // resolved paths
  TailerOptions tailer;                 // type "file"
  HttpFetchOptions http;                // type "http"
  TcpFetchOptions tcp;                  // type "tcp"
  ExecFetchOptions exec;                // type "exec"
  StatusFileOptions status_file;        // type "status_file"
  ListenerOptions listener;             // types "udp" and "tcp_listener"
  // Its constant labels, sorted by name; each name valid and none of job,
  // instance. Which families allow them is checked against the schema
  // (adapter/runtime/source_labels.h).
  std::vector<SourceLabel> labels;
  SourcePosition position;

  bool pulled() const {
    return type == "http" || type == "tcp" || type == "exec" || type == "status_file";
  }
};

// `positions:` where the file sources' read positions are kept across
// restarts (see adapter/sources/positions.h).
struct PositionsConfig {
  std::string path;  // resolved
  std::chrono::milliseconds sync_interval{10000};
  bool operator==(const PositionsConfig&) const = default;
};

struct AdapterConfig {
  std::string path;
  std::string listen_address = kDefaultListenAddress;
  // Series a family may hold unless its schema entry says otherwise.
  std::size_t max_series_per_family = kDefaultMaxSeriesPerFamily;
  std::vector<SourceConfig> sources;
  std::optional<PositionsConfig> positions;  // absent: positions are not kept
  // `shared_families: [name, ...]`: families several sources may write on
  // purpose, their updates adding up in one series (see
  // adapter/runtime/collisions.h). Names as written, with their positions.
  std::vector<std::pair<std::string, SourcePosition>> shared_families;
};

// Loads and checks `path`, reporting every problem to `diags`. Returns the
// config as far as it could be read, so that its rule files can be checked
// too: use it only if !diags.HasErrors(). Returns nullopt when the file
// cannot be read or is not YAML. Rule files are only named here;
// LoadRuleFiles reads them.
std::optional<AdapterConfig> LoadConfig(const std::string& path, Diagnostics& diags);

class YamlMap;

// Reads a `multiline:` block (a file source's, a rule-file test's): exactly
// one of `start` and `continue` (a regex RecordJoiner::CheckPattern accepts),
// and the limits max_lines, max_bytes and flush_after. Problems go to
// `diags` with the key's position; the options are then as far as read.
MultilineOptions LoadMultiline(YamlMap& map, Diagnostics& diags);

}  // namespace metrics_adapter
