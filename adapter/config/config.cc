#include "adapter/config/config.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"
#include "adapter/sources/path_pattern.h"
#include "parsers/parser_config.h"

namespace metrics_adapter {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::optional<std::chrono::milliseconds> DurationField(YamlMap& map, std::string_view key,
                                                       Diagnostics& diags) {
  std::optional<std::string> text = map.String(key);
  if (!text) return std::nullopt;
  std::optional<std::chrono::milliseconds> d = ParseDuration(*text);
  if (!d) {
    diags.Error(map.PositionOfKey(key),
                Quoted(key) + " must be a duration such as \"250ms\", \"5s\" or \"1m\"");
  }
  return d;
}

// An integer option within [min, max]; reports and returns nullopt outside.
std::optional<std::size_t> SizeField(YamlMap& map, std::string_view key, std::int64_t min,
                                     std::int64_t max, Diagnostics& diags) {
  std::optional<std::int64_t> value = map.Integer(key);
  if (!value) return std::nullopt;
  if (*value < min || *value > max) {
    diags.Error(map.PositionOfKey(key), Quoted(key) + " must be between " + std::to_string(min) +
                                            " and " + std::to_string(max));
    return std::nullopt;
  }
  return static_cast<std::size_t>(*value);
}

// A path whose fixed directory does not exist reads nothing until it does:
// a warning, since the volume may be mounted later, yet likely a typo.
void WarnMissingDirectories(const YamlMap& map, const std::vector<std::string>& paths,
                            Diagnostics& diags) {
  for (const std::string& path : paths) {
    const std::string dir = PathPattern(path).fixed_dir();
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) continue;
    diags.Warning(map.PositionOfKey("paths"),
                  "directory " + Quoted(dir) + " of path " + Quoted(path) +
                      " does not exist: nothing is read from it until it does");
  }
}

}  // namespace

MultilineOptions LoadMultiline(YamlMap& map, Diagnostics& diags) {
  MultilineOptions multiline;
  const std::optional<std::string> start = map.String("start");
  const std::optional<std::string> cont = map.String("continue");
  if (start.has_value() == cont.has_value()) {
    diags.Error(start ? map.PositionOfKey("continue") : map.position(),
                "\"multiline\" needs exactly one of \"start\" and \"continue\"");
  }
  const std::string_view key = cont ? "continue" : "start";
  multiline.mode = cont ? MultilineOptions::Mode::kContinue : MultilineOptions::Mode::kStart;
  multiline.pattern = cont ? *cont : start.value_or("");
  if (start || cont) {
    if (std::string error = RecordJoiner::CheckPattern(multiline.pattern); !error.empty()) {
      diags.Error(map.PositionOfKey(key), Quoted(key) + ": invalid regex: " + error);
    }
  }
  if (auto max = SizeField(map, "max_lines", 1, 1 << 20, diags)) multiline.max_lines = *max;
  if (auto max = SizeField(map, "max_bytes", 1, 64 << 20, diags)) multiline.max_bytes = *max;
  if (auto d = DurationField(map, "flush_after", diags)) {
    if (d->count() <= 0) {
      diags.Error(map.PositionOfKey("flush_after"), "\"flush_after\" must be more than 0s");
    }
    multiline.flush_after = *d;
  }
  map.RejectUnknownKeys();
  return multiline;
}

namespace {

void LoadFileSource(YamlMap& map, const std::string& base_dir, SourceConfig& source,
                    Diagnostics& diags) {
  TailerOptions& t = source.tailer;
  for (const std::string& path :
       map.StringList("paths", Required::kYes).value_or(std::vector<std::string>{})) {
    t.paths.push_back(Resolve(base_dir, path));
  }
  if (map.Has("paths") && t.paths.empty()) {
    diags.Error(map.PositionOfKey("paths"), "\"paths\" must name at least one file or glob");
  }
  WarnMissingDirectories(map, t.paths, diags);
  for (const std::string& pattern :
       map.StringList("exclude").value_or(std::vector<std::string>{})) {
    // Name patterns stay as they are; path patterns are paths like `paths`.
    t.exclude.push_back(pattern.find('/') == std::string::npos ? pattern
                                                               : Resolve(base_dir, pattern));
  }
  t.from_beginning = map.Bool("from_beginning").value_or(false);
  if (auto max = SizeField(map, "max_line_bytes", 1, 64 << 20, diags)) t.max_line_bytes = *max;
  if (auto d = DurationField(map, "poll_interval", diags)) t.poll_interval = *d;
  if (auto d = DurationField(map, "rotate_wait", diags)) t.rotate_wait = *d;
  if (auto max = SizeField(map, "max_files", 1, 1 << 20, diags)) t.max_files = *max;
  t.follow_symlinks = map.Bool("follow_symlinks").value_or(t.follow_symlinks);
  if (YAML::Node multiline = map.Node("multiline"); multiline.IsDefined()) {
    YamlMap multiline_map(multiline, map.file(), diags, "\"multiline\"");
    if (multiline_map.valid()) t.multiline = LoadMultiline(multiline_map, diags);
  }
}

// Options every pulled source has: how long a fetch may take, how much it may read.
template <typename FetchOptions>
void LoadPullLimits(YamlMap& map, FetchOptions& options, Diagnostics& diags) {
  if (auto d = DurationField(map, "timeout", diags)) options.timeout = *d;
  if (auto max = SizeField(map, "max_body_bytes", 1, 1 << 30, diags)) options.max_body_bytes = *max;
}

// A file the HTTP client reads (a CA bundle, a client certificate or key):
// it must be readable now, or the config names it and its key.
std::string ReadableFileField(YamlMap& map, std::string_view key, const std::string& base_dir,
                              Diagnostics& diags) {
  const std::optional<std::string> value = map.String(key);
  if (!value) return "";
  std::string path = Resolve(base_dir, *value);
  std::ifstream in(path);
  if (!in || std::filesystem::is_directory(path)) {
    diags.Error(map.PositionOfKey(key), Quoted(key) + ": cannot read " + Quoted(path));
  }
  return path;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// tls_config: as in Prometheus scrape configs.
void LoadTlsConfig(YamlMap& map, const std::string& base_dir, TlsOptions& tls, Diagnostics& diags) {
  tls.ca_file = ReadableFileField(map, "ca_file", base_dir, diags);
  tls.cert_file = ReadableFileField(map, "cert_file", base_dir, diags);
  tls.key_file = ReadableFileField(map, "key_file", base_dir, diags);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    const char* given = tls.cert_file.empty() ? "key_file" : "cert_file";
    diags.Error(map.PositionOfKey(given), "give \"cert_file\" and \"key_file\" together");
  }
  tls.server_name = map.String("server_name").value_or("");
  tls.insecure_skip_verify = map.Bool("insecure_skip_verify").value_or(false);
  map.RejectUnknownKeys();
}

// basic_auth: a username and a password, given or read from a file.
void LoadBasicAuth(YamlMap& auth_map, const std::string& base_dir, HttpFetchOptions& http,
                   Diagnostics& diags) {
  http.basic_auth_user = auth_map.String("username", Required::kYes).value_or("");
  const std::optional<std::string> password = auth_map.String("password");
  const std::optional<std::string> password_file = auth_map.String("password_file");
  if (password && password_file) {
    diags.Error(auth_map.PositionOfKey("password_file"),
                "give \"password\" or \"password_file\", not both");
  } else if (password) {
    http.basic_auth_password = *password;
  } else if (password_file) {
    // Read once at load (and again at each reload): a mounted Secret.
    const std::string path = Resolve(base_dir, *password_file);
    std::ifstream in(path);
    if (!in || !std::getline(in, http.basic_auth_password)) {
      diags.Error(auth_map.PositionOfKey("password_file"),
                  "cannot read password file " + Quoted(path));
    }
  }
  auth_map.RejectUnknownKeys();
}

void LoadHttpSource(YamlMap& map, const std::string& base_dir, SourceConfig& source,
                    Diagnostics& diags) {
  HttpFetchOptions& http = source.http;
  http.url = map.String("url", Required::kYes).value_or("");
  if (!http.url.empty()) {
    if (std::string error = CheckHttpUrl(http.url); !error.empty()) {
      diags.Error(map.PositionOfKey("url"), error);
    }
  }
  if (YAML::Node headers = map.Node("headers"); headers.IsDefined()) {
    if (!headers.IsMap()) {
      diags.Error(PositionOf(map.file(), headers), "\"headers\" must map header names to values");
    } else {
      for (const auto& entry : headers) {
        // A CR or LF in a header would let the config inject request lines.
        if (std::string error = CheckHttpHeader(entry.first.Scalar(), entry.second.Scalar());
            !error.empty()) {
          diags.Error(PositionOf(map.file(), entry.first), error);
          continue;
        }
        http.headers.emplace_back(entry.first.Scalar(), entry.second.Scalar());
      }
    }
  }
  if (YAML::Node auth = map.Node("basic_auth"); auth.IsDefined()) {
    YamlMap auth_map(auth, map.file(), diags, "\"basic_auth\"");
    LoadBasicAuth(auth_map, base_dir, http, diags);
  }
  if (auto proxy = map.String("proxy_url")) {
    if (std::string error = CheckProxyUrl(*proxy); !error.empty()) {
      diags.Error(map.PositionOfKey("proxy_url"), "\"proxy_url\": " + error);
    }
    http.proxy_url = *proxy;
  }
  if (YAML::Node tls = map.Node("tls_config"); tls.IsDefined()) {
    YamlMap tls_map(tls, map.file(), diags, "\"tls_config\"");
    LoadTlsConfig(tls_map, base_dir, http.tls, diags);
    if (!http.url.empty() && !StartsWithIgnoreCase(http.url, "https://")) {
      diags.Error(map.PositionOfKey("tls_config"), "\"tls_config\" needs an https:// url");
    }
  }
  LoadPullLimits(map, http, diags);
}

void LoadTcpSource(YamlMap& map, SourceConfig& source, Diagnostics& diags) {
  TcpFetchOptions& tcp = source.tcp;
  tcp.address = map.String("address", Required::kYes).value_or("");
  tcp.send = map.String("send").value_or("");
  const std::string framing = map.String("framing").value_or("until_close");
  if (framing == "until_close") {
    tcp.framing = TcpFraming::kUntilClose;
  } else if (framing == "terminator") {
    tcp.framing = TcpFraming::kUntilTerminator;
  } else if (framing == "redis_bulk") {
    tcp.framing = TcpFraming::kRedisBulk;
  } else {
    diags.Error(map.PositionOfKey("framing"), "unknown framing " + Quoted(framing) +
                                                  " (known: until_close, terminator, redis_bulk)");
  }
  tcp.terminator = map.String("terminator").value_or("");
  if (tcp.framing == TcpFraming::kUntilTerminator && tcp.terminator.empty()) {
    diags.Error(map.PositionOfKey("framing"), "framing \"terminator\" needs \"terminator\"");
  }
  LoadPullLimits(map, tcp, diags);
}

// A tcp_listener's `framing`: newline (the default), octet_counting, auto.
void LoadListenerFraming(YamlMap& map, ListenerOptions& listener, Diagnostics& diags) {
  const std::string framing = map.String("framing").value_or("newline");
  if (framing == "newline") {
    listener.framing = LineFramer::Framing::kNewline;
  } else if (framing == "octet_counting") {
    listener.framing = LineFramer::Framing::kOctetCounting;
  } else if (framing == "auto") {
    listener.framing = LineFramer::Framing::kAuto;
  } else {
    diags.Error(map.PositionOfKey("framing"),
                "unknown framing " + Quoted(framing) + " (known: newline, octet_counting, auto)");
  }
}

// env: a map of variable names to values, set for the command.
void LoadCommandEnv(YamlMap& map, ExecFetchOptions& exec, Diagnostics& diags) {
  const YAML::Node env = map.Node("env");
  if (!env.IsDefined()) return;
  if (!env.IsMap()) {
    diags.Error(PositionOf(map.file(), env), "\"env\" must map variable names to values");
    return;
  }
  for (const auto& entry : env) {
    const std::string& name = entry.first.Scalar();
    if (name.empty() || name.find('=') != std::string::npos || !entry.second.IsScalar()) {
      diags.Error(PositionOf(map.file(), entry.first),
                  "\"env\": " + Quoted(name) + " needs a name without '=' and a scalar value");
      continue;
    }
    exec.env.emplace_back(name, entry.second.Scalar());
  }
}

// command: an argv whose program is an absolute path or a name on PATH. A
// program missing here is only a warning: `check` may run elsewhere than
// the image the command ships in.
void CheckCommandProgram(YamlMap& map, const ExecFetchOptions& exec, Diagnostics& diags) {
  const SourcePosition at = map.PositionOfKey("command");
  if (exec.command.empty() || exec.command.front().empty()) {
    diags.Error(at, "\"command\" must name a program, e.g. [varnishstat, -j]");
    return;
  }
  const std::string& program = exec.command.front();
  if (program.front() != '/' && program.find('/') != std::string::npos) {
    diags.Error(at, "\"command\": " + Quoted(program) +
                        " must be an absolute path or a program name looked up on PATH");
    return;
  }
  const std::string path = CommandPath(exec);
  const std::string found = FindProgram(program, path);
  if (found.empty() || access(found.c_str(), X_OK) != 0) {
    diags.Warning(at, "\"command\": " + Quoted(program) +
                          (program.front() == '/' ? " is not an executable file here"
                                                  : " is not found on PATH " + Quoted(path)) +
                          "; scrapes fail until it is");
  }
}

void LoadExecSource(YamlMap& map, const std::string& base_dir, SourceConfig& source,
                    Diagnostics& diags) {
  ExecFetchOptions& exec = source.exec;
  const bool given = map.Has("command");
  exec.command = map.StringList("command", Required::kYes).value_or(std::vector<std::string>{});
  LoadCommandEnv(map, exec, diags);
  if (given) CheckCommandProgram(map, exec, diags);
  if (auto dir = map.String("working_dir")) {
    exec.working_dir = Resolve(base_dir, *dir);
    if (!std::filesystem::is_directory(exec.working_dir)) {
      diags.Warning(map.PositionOfKey("working_dir"),
                    "\"working_dir\": " + Quoted(exec.working_dir) + " is not a directory here");
    }
  }
  if (auto d = DurationField(map, "timeout", diags)) exec.timeout = *d;
  if (auto max = SizeField(map, "max_output_bytes", 1, 1 << 30, diags)) exec.max_body_bytes = *max;
}

void LoadStatusFileSource(YamlMap& map, const std::string& base_dir, SourceConfig& source,
                          Diagnostics& diags) {
  StatusFileOptions& file = source.status_file;
  file.path = Resolve(base_dir, map.String("path", Required::kYes).value_or(""));
  if (auto max = SizeField(map, "max_body_bytes", 1, 1 << 30, diags)) file.max_body_bytes = *max;
}

void LoadListenerSource(YamlMap& map, SourceConfig& source, Diagnostics& diags) {
  ListenerOptions& listener = source.listener;
  listener.protocol =
      source.type == "udp" ? ListenerOptions::Protocol::kUdp : ListenerOptions::Protocol::kTcp;
  listener.address = map.String("listen_address", Required::kYes).value_or("");
  if (auto max = SizeField(map, "max_line_bytes", 1, 64 << 20, diags)) {
    listener.max_line_bytes = *max;
  }
  if (source.type != "tcp_listener") return;
  LoadListenerFraming(map, listener, diags);
  if (auto max = SizeField(map, "max_connections", 1, 65536, diags)) {
    listener.max_connections = *max;
  }
  if (auto d = DurationField(map, "idle_timeout", diags)) {
    if (d->count() < 0) {
      diags.Error(map.PositionOfKey("idle_timeout"), "\"idle_timeout\" must not be negative");
    } else {
      listener.idle_timeout = *d;
    }
  }
}

// labels: {service: cache, instance_name: a}: label names as the schema
// would take them, scalar values.
void LoadSourceLabels(YamlMap& map, SourceConfig& source, Diagnostics& diags) {
  const YAML::Node labels = map.Node("labels");
  if (!labels.IsDefined()) return;
  if (!labels.IsMap()) {
    diags.Error(PositionOf(map.file(), labels),
                "\"labels\" must map label names to values, e.g. {service: cache}");
    return;
  }
  for (const auto& entry : labels) {
    const std::string& name = entry.first.Scalar();
    const SourcePosition at = PositionOf(map.file(), entry.first);
    if (std::string why = WhyNotLabelName(name); !why.empty()) {
      diags.Error(at, "source " + Quoted(source.name) + ": \"labels\": " + why);
      continue;
    }
    if (!entry.second.IsScalar()) {
      diags.Error(at, "source " + Quoted(source.name) + ": \"labels\": the value of " +
                          Quoted(name) + " must be a string");
      continue;
    }
    if (entry.second.Scalar().empty()) {
      // Prometheus reads an empty value as no label at all.
      diags.Error(at, "source " + Quoted(source.name) + ": \"labels\": " + Quoted(name) +
                          " needs a value that is not empty");
      continue;
    }
    source.labels.push_back({name, entry.second.Scalar(), at});
  }
  std::stable_sort(source.labels.begin(), source.labels.end(),
                   [](const SourceLabel& a, const SourceLabel& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < source.labels.size(); ++i) {
    if (source.labels[i].name == source.labels[i - 1].name) {
      diags.Error(source.labels[i].position, "source " + Quoted(source.name) + ": \"labels\": " +
                                                 Quoted(source.labels[i].name) + " is given twice");
    }
  }
}

std::optional<SourceConfig> LoadSource(const YAML::Node& node, const std::string& file,
                                       const std::string& base_dir, Diagnostics& diags) {
  YamlMap map(node, file, diags, "source");
  if (!map.valid()) return std::nullopt;
  SourceConfig source;
  source.position = PositionOf(file, node);
  source.name = map.String("name", Required::kYes).value_or("");
  source.type = map.String("type", Required::kYes).value_or("");
  if (YAML::Node parser = map.Node("parser"); parser.IsDefined()) {
    source.parser = ReadParserChoice(parser, file, diags);
  }
  for (const std::string& rules :
       map.StringList("rules", Required::kYes).value_or(std::vector<std::string>{})) {
    source.rule_files.push_back(Resolve(base_dir, rules));
  }
  LoadSourceLabels(map, source, diags);
  if (source.type == "file") {
    LoadFileSource(map, base_dir, source, diags);
  } else if (source.type == "http") {
    LoadHttpSource(map, base_dir, source, diags);
  } else if (source.type == "tcp") {
    LoadTcpSource(map, source, diags);
  } else if (source.type == "exec") {
    LoadExecSource(map, base_dir, source, diags);
  } else if (source.type == "status_file") {
    LoadStatusFileSource(map, base_dir, source, diags);
  } else if (source.type == "udp" || source.type == "tcp_listener") {
    LoadListenerSource(map, source, diags);
  } else if (!source.type.empty()) {
    diags.Error(map.PositionOfKey("type"),
                "unknown source type " + Quoted(source.type) +
                    " (known: file, http, tcp, exec, status_file, udp, tcp_listener)");
  }
  map.RejectUnknownKeys();
  return source;
}

// positions: {path: ..., sync_interval: 10s}
PositionsConfig LoadPositions(YamlMap& map, const std::string& base_dir, Diagnostics& diags) {
  PositionsConfig positions;
  const std::optional<std::string> path = map.String("path", Required::kYes);
  if (path && path->empty()) diags.Error(map.PositionOfKey("path"), "\"path\" must not be empty");
  positions.path = Resolve(base_dir, path.value_or(""));
  if (auto d = DurationField(map, "sync_interval", diags)) {
    if (d->count() <= 0) {
      diags.Error(map.PositionOfKey("sync_interval"), "\"sync_interval\" must be positive");
    } else {
      positions.sync_interval = *d;
    }
  }
  map.RejectUnknownKeys();
  return positions;
}

}  // namespace

std::optional<AdapterConfig> LoadConfig(const std::string& path, Diagnostics& diags) {
  std::optional<YAML::Node> root = LoadYamlFile(path, diags);
  if (!root) return std::nullopt;
  AdapterConfig config;
  config.path = path;
  const std::string base_dir = std::filesystem::path(path).parent_path().string();

  YamlMap top(*root, path, diags, "config");
  if (!top.valid()) return std::nullopt;
  if (YAML::Node web = top.Node("web"); web.IsDefined()) {
    YamlMap web_map(web, path, diags, "\"web\"");
    if (auto address = web_map.String("listen_address")) config.listen_address = *address;
    web_map.RejectUnknownKeys();
  }
  if (YAML::Node limits = top.Node("limits"); limits.IsDefined()) {
    YamlMap limits_map(limits, path, diags, "\"limits\"");
    if (auto max = limits_map.Integer("max_series_per_family")) {
      if (*max < 1) {
        diags.Error(limits_map.PositionOfKey("max_series_per_family"),
                    "\"max_series_per_family\" must be at least 1");
      } else {
        config.max_series_per_family = static_cast<std::size_t>(*max);
      }
    }
    limits_map.RejectUnknownKeys();
  }
  if (YAML::Node positions = top.Node("positions"); positions.IsDefined()) {
    YamlMap positions_map(positions, path, diags, "\"positions\"");
    if (positions_map.valid()) config.positions = LoadPositions(positions_map, base_dir, diags);
  }
  if (YAML::Node shared = top.Node("shared_families"); shared.IsDefined()) {
    if (!shared.IsSequence()) {
      diags.Error(PositionOf(path, shared), "\"shared_families\" must be a list of family names");
    } else {
      for (const YAML::Node& name : shared) {
        config.shared_families.emplace_back(name.Scalar(), PositionOf(path, name));
      }
    }
  }
  YAML::Node sources = top.Node("sources", Required::kYes);
  top.RejectUnknownKeys();
  if (sources.IsDefined() && !sources.IsSequence()) {
    diags.Error(PositionOf(path, sources), "\"sources\" must be a list");
  } else if (sources.IsDefined()) {
    std::map<std::string, SourcePosition> names;
    for (const YAML::Node& node : sources) {
      std::optional<SourceConfig> source = LoadSource(node, path, base_dir, diags);
      if (!source) continue;
      if (auto [it, inserted] = names.emplace(source->name, source->position);
          !source->name.empty() && !inserted) {
        diags.Error(source->position, "source name " + Quoted(source->name) +
                                          " is used twice (first at " + it->second.ToString() +
                                          ")");
      }
      config.sources.push_back(std::move(*source));
    }
  }
  return config;
}

}  // namespace metrics_adapter
