// LoadConfig and ParseDuration: the adapter config's fields and defaults,
// path resolution, and every error with its exact text and position. Also
// the parser registry the config names parsers from.
#include "adapter/config/config.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapter/base/bounded_read.h"
#include "parsers/registry.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

using std::chrono::milliseconds;

// The diagnostics of loading `yaml` as <tmp>/adapter.yaml, with the temporary
// directory removed from paths so expectations read as they would in a
// user's terminal.
struct Loaded {
  std::optional<AdapterConfig> config;
  std::string errors;
};

Loaded LoadText(const std::string& yaml) {
  TempDir dir;
  Diagnostics diags;
  Loaded out;
  out.config = LoadConfig(dir.Write("adapter.yaml", yaml), diags);
  out.errors = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = out.errors.find(prefix)) != std::string::npos;) {
    out.errors.erase(at, prefix.size());
  }
  return out;
}

TEST_CASE("LoadConfig reads every field of a valid config") {
  TempDir dir;
  Diagnostics diags;
  const std::string path = dir.Write("etc/adapter.yaml", R"(web:
  listen_address: "127.0.0.1:9000"
sources:
  - name: nginx_access
    type: file
    paths: [/var/log/nginx/access.log, /var/log/nginx/other-*.log]
    parser: line
    rules: [/etc/rules/nginx.yaml]
    from_beginning: true
    max_line_bytes: 4096
    poll_interval: 100ms
    rotate_wait: 1m30s
  - name: app
    type: file
    paths: /var/log/app.log
    rules: /etc/rules/app.yaml
)");
  std::optional<AdapterConfig> config = LoadConfig(path, diags);
  CHECK(diags.error_count() == 0);  // missing log directories are only warnings
  REQUIRE(config.has_value());
  CHECK(config->path == path);
  CHECK(config->listen_address == "127.0.0.1:9000");
  REQUIRE(config->sources.size() == 2);

  const SourceConfig& nginx = config->sources[0];
  CHECK(nginx.name == "nginx_access");
  CHECK(nginx.type == "file");
  REQUIRE(nginx.parser.has_value());
  CHECK(nginx.parser->info->name == "line");
  CHECK(nginx.rule_files == std::vector<std::string>{"/etc/rules/nginx.yaml"});
  CHECK(nginx.tailer.paths ==
        std::vector<std::string>{"/var/log/nginx/access.log", "/var/log/nginx/other-*.log"});
  CHECK(nginx.tailer.from_beginning);
  CHECK(nginx.tailer.max_line_bytes == 4096);
  CHECK(nginx.tailer.poll_interval == milliseconds(100));
  CHECK(nginx.tailer.rotate_wait == milliseconds(90000));
  CHECK(nginx.position.ToString() == path + ":4:5");

  // Defaults, and a single string where a list is expected.
  const SourceConfig& app = config->sources[1];
  CHECK_FALSE(app.parser.has_value());  // from its rule files, else line
  CHECK(app.tailer.paths == std::vector<std::string>{"/var/log/app.log"});
  CHECK(app.rule_files == std::vector<std::string>{"/etc/rules/app.yaml"});
  const TailerOptions defaults;
  CHECK(app.tailer.from_beginning == defaults.from_beginning);
  CHECK(app.tailer.max_line_bytes == defaults.max_line_bytes);
  CHECK(app.tailer.poll_interval == defaults.poll_interval);
  CHECK(app.tailer.rotate_wait == defaults.rotate_wait);
}

TEST_CASE("LoadConfig listens on the default address when the config has no web section") {
  Loaded loaded = LoadText("sources: []\n");
  CHECK(loaded.errors == "");
  REQUIRE(loaded.config.has_value());
  CHECK(loaded.config->listen_address == std::string(kDefaultListenAddress));
  CHECK(loaded.config->listen_address == ":9469");
  CHECK(loaded.config->sources.empty());
}

TEST_CASE("LoadConfig resolves relative log paths and rule files against the config's directory") {
  TempDir dir;
  Diagnostics diags;
  const std::string path = dir.Write("deploy/adapter.yaml", R"(sources:
  - name: s
    type: file
    paths: [logs/access.log, ../shared/*.log, /abs/x.log]
    rules: [rules/a.yaml, ./b.yaml, ../library/c.yaml, /abs/d.yaml]
)");
  std::optional<AdapterConfig> config = LoadConfig(path, diags);
  CHECK(diags.error_count() == 0);  // missing log directories are only warnings
  REQUIRE(config.has_value());
  REQUIRE(config->sources.size() == 1);
  const std::string base = dir.path();
  CHECK(config->sources[0].tailer.paths ==
        std::vector<std::string>{base + "/deploy/logs/access.log", base + "/shared/*.log",
                                 "/abs/x.log"});
  CHECK(config->sources[0].rule_files ==
        std::vector<std::string>{base + "/deploy/rules/a.yaml", base + "/deploy/b.yaml",
                                 base + "/library/c.yaml", "/abs/d.yaml"});
}

TEST_CASE("LoadConfig keeps paths relative when the config's path is relative") {
  TempDir dir;
  dir.Write("adapter.yaml",
            "sources:\n  - {name: s, type: file, paths: [in.log], rules: [r/a.yaml]}\n");
  const std::filesystem::path relative_dir =
      std::filesystem::relative(dir.path(), std::filesystem::current_path());
  REQUIRE(relative_dir.is_relative());
  Diagnostics diags;
  std::optional<AdapterConfig> config = LoadConfig((relative_dir / "adapter.yaml").string(), diags);
  CHECK(diags.Format() == "");
  REQUIRE(config.has_value());
  REQUIRE(config->sources.size() == 1);
  CHECK(config->sources[0].tailer.paths ==
        std::vector<std::string>{(relative_dir / "in.log").string()});
  CHECK(config->sources[0].rule_files ==
        std::vector<std::string>{(relative_dir / "r/a.yaml").string()});
}

TEST_CASE("LoadConfig reports unknown keys at every level, with suggestions") {
  Loaded loaded = LoadText(R"(web:
  listen_adress: ":9000"
sources:
  - name: s
    type: file
    paths: [a.log]
    rules: [r.yaml]
    from_begining: true
    colour: blue
log_level: debug
)");
  CHECK(loaded.errors ==
        "adapter.yaml:2:3: error: unknown key \"listen_adress\" in \"web\" (did you mean "
        "\"listen_address\"?)\n"
        "adapter.yaml:10:1: error: unknown key \"log_level\" in config\n"
        "adapter.yaml:8:5: error: unknown key \"from_begining\" in source (did you mean "
        "\"from_beginning\"?)\n"
        "adapter.yaml:9:5: error: unknown key \"colour\" in source\n");
  // The config is still returned, so its rule files can be checked too.
  REQUIRE(loaded.config.has_value());
  CHECK(loaded.config->sources.size() == 1);
}

TEST_CASE("LoadConfig reports a source name used twice at the second source") {
  Loaded loaded = LoadText(R"(sources:
  - {name: web, type: file, paths: [a.log], rules: [r.yaml]}
  - {name: app, type: file, paths: [b.log], rules: [r.yaml]}
  - {name: web, type: file, paths: [c.log], rules: [r.yaml]}
)");
  CHECK(loaded.errors ==
        "adapter.yaml:4:5: error: source name \"web\" is used twice (first at adapter.yaml:2:5)\n");
}

TEST_CASE("LoadConfig rejects durations it cannot read") {
  Loaded loaded = LoadText(R"(sources:
  - name: s
    type: file
    paths: [a.log]
    rules: [r.yaml]
    poll_interval: 5x
    rotate_wait: 1.5s
)");
  CHECK(loaded.errors ==
        "adapter.yaml:6:20: error: \"poll_interval\" must be a duration such as \"250ms\", "
        "\"5s\" or \"1m\"\n"
        "adapter.yaml:7:18: error: \"rotate_wait\" must be a duration such as \"250ms\", "
        "\"5s\" or \"1m\"\n");
}

TEST_CASE("LoadConfig bounds max_line_bytes and wants a whole number") {
  Loaded loaded = LoadText(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [r.yaml], max_line_bytes: 0}
  - {name: b, type: file, paths: [a.log], rules: [r.yaml], max_line_bytes: 67108865}
  - {name: c, type: file, paths: [a.log], rules: [r.yaml], max_line_bytes: 1k}
  - {name: d, type: file, paths: [a.log], rules: [r.yaml], max_line_bytes: 67108864}
)");
  CHECK(loaded.errors ==
        "adapter.yaml:2:76: error: \"max_line_bytes\" must be between 1 and 67108864\n"
        "adapter.yaml:3:76: error: \"max_line_bytes\" must be between 1 and 67108864\n"
        "adapter.yaml:4:76: error: \"max_line_bytes\" in source must be a whole number\n");
  REQUIRE(loaded.config.has_value());
  REQUIRE(loaded.config->sources.size() == 4);
  CHECK(loaded.config->sources[3].tailer.max_line_bytes == 67108864);
}

TEST_CASE("LoadConfig reports an unknown parser and an unknown source type at their values") {
  Loaded loaded = LoadText(R"(sources:
  - name: a
    type: file
    paths: [a.log]
    parser: jsn
    rules: [r.yaml]
  - name: b
    type: socket
    rules: [r.yaml]
)");
  CHECK(
      loaded.errors ==
      "adapter.yaml:5:13: error: unknown parser \"jsn\" (known: " + ParserNames() +
          ")\n"
          "adapter.yaml:8:11: error: unknown source type \"socket\" (known: file, http, tcp, exec, "
          "status_file, udp, tcp_listener)\n");
}

TEST_CASE("LoadConfig reports missing required keys of the config and of sources") {
  CHECK(LoadText("web: {}\n").errors ==
        "adapter.yaml:1:1: error: config is missing required key \"sources\"\n");
  CHECK(LoadText("sources:\n  - {parser: line}\n").errors ==
        "adapter.yaml:2:5: error: source is missing required key \"name\"\n"
        "adapter.yaml:2:5: error: source is missing required key \"type\"\n"
        "adapter.yaml:2:5: error: source is missing required key \"rules\"\n");
  CHECK(LoadText("sources:\n  - {name: s, type: file, rules: [r.yaml]}\n").errors ==
        "adapter.yaml:2:5: error: source is missing required key \"paths\"\n");
  CHECK(LoadText("sources:\n  - {name: s, type: file, rules: [r.yaml], paths: []}\n").errors ==
        "adapter.yaml:2:51: error: \"paths\" must name at least one file or glob\n");
}

TEST_CASE("LoadConfig reports sources that are not a list of mappings") {
  CHECK(LoadText("sources: {name: s}\n").errors ==
        "adapter.yaml:1:10: error: \"sources\" must be a list\n");
  CHECK(LoadText("sources:\n  - nginx\n").errors ==
        "adapter.yaml:2:5: error: source must be a mapping of keys to values\n");
}

TEST_CASE("LoadConfig reads a file source's max_files and follow_symlinks, with defaults") {
  Loaded loaded = LoadText(R"(sources:
  - {name: a, type: file, paths: [a.log], rules: [r.yaml]}
  - {name: b, type: file, paths: [a.log], rules: [r.yaml], max_files: 10, follow_symlinks: false}
  - {name: c, type: file, paths: [a.log], rules: [r.yaml], max_files: 0}
)");
  CHECK(loaded.errors == "adapter.yaml:4:71: error: \"max_files\" must be between 1 and 1048576\n");
  REQUIRE(loaded.config.has_value());
  REQUIRE(loaded.config->sources.size() == 3);
  CHECK(loaded.config->sources[0].tailer.max_files == 1024);
  CHECK(loaded.config->sources[0].tailer.follow_symlinks);
  CHECK(loaded.config->sources[1].tailer.max_files == 10);
  CHECK_FALSE(loaded.config->sources[1].tailer.follow_symlinks);
}

TEST_CASE("LoadConfig reads a tcp_listener's max_connections and idle_timeout, with defaults") {
  Loaded loaded = LoadText(R"(sources:
  - {name: a, type: tcp_listener, listen_address: ":2003", rules: [r.yaml]}
  - name: b
    type: tcp_listener
    listen_address: ":2004"
    rules: [r.yaml]
    max_connections: 1000
    idle_timeout: 30s
  - {name: c, type: tcp_listener, listen_address: ":2005", rules: [r.yaml], idle_timeout: 0s}
)");
  CHECK(loaded.errors == "");
  REQUIRE(loaded.config.has_value());
  REQUIRE(loaded.config->sources.size() == 3);
  const ListenerOptions defaults;
  CHECK(defaults.max_connections == 64);
  CHECK(defaults.idle_timeout == std::chrono::minutes(5));
  CHECK(loaded.config->sources[0].listener.max_connections == defaults.max_connections);
  CHECK(loaded.config->sources[0].listener.idle_timeout == defaults.idle_timeout);
  CHECK(loaded.config->sources[1].listener.max_connections == 1000);
  CHECK(loaded.config->sources[1].listener.idle_timeout == milliseconds(30000));
  CHECK(loaded.config->sources[2].listener.idle_timeout == milliseconds(0));
}

TEST_CASE("LoadConfig bounds max_connections; udp has no connections to bound") {
  Loaded loaded = LoadText(R"(sources:
  - {name: a, type: tcp_listener, listen_address: ":1", rules: [r.yaml], max_connections: 0}
  - {name: b, type: tcp_listener, listen_address: ":2", rules: [r.yaml], idle_timeout: soon}
  - {name: c, type: udp, listen_address: ":3", rules: [r.yaml], max_connections: 5}
)");
  CHECK(loaded.errors ==
        "adapter.yaml:2:91: error: \"max_connections\" must be between 1 and 65536\n"
        "adapter.yaml:3:88: error: \"idle_timeout\" must be a duration such as \"250ms\", "
        "\"5s\" or \"1m\"\n"
        "adapter.yaml:4:65: error: unknown key \"max_connections\" in source\n");
}

TEST_CASE("LoadConfig refuses a config over kMaxConfigFileBytes without reading it") {
  TempDir dir;
  const std::string path = dir.Write("adapter.yaml", "sources: []\n");
  // Sparse: its size is what counts, and a read would find only zeros.
  std::filesystem::resize_file(path, kMaxConfigFileBytes + 1);
  Diagnostics diags;
  CHECK_FALSE(LoadConfig(path, diags).has_value());
  CHECK(diags.Format() == path + ": error: file is 16777217 bytes, over the limit of 16 MiB\n");

  std::filesystem::resize_file(path, kMaxConfigFileBytes);
  Diagnostics at_limit;
  LoadConfig(path, at_limit);
  CHECK(at_limit.Format().find("over the limit") == std::string::npos);
}

TEST_CASE("LoadConfig returns nullopt for a missing file, invalid YAML or a non-mapping") {
  Diagnostics diags;
  CHECK_FALSE(LoadConfig("/nonexistent-dir/adapter.yaml", diags).has_value());
  CHECK(diags.Format() ==
        "/nonexistent-dir/adapter.yaml: error: cannot read file: No such file or directory\n");

  Loaded bad_yaml = LoadText("sources: [\n");
  CHECK_FALSE(bad_yaml.config.has_value());
  CHECK(bad_yaml.errors.starts_with("adapter.yaml:"));
  CHECK(bad_yaml.errors.find(": error: invalid YAML: ") != std::string::npos);

  Loaded list = LoadText("- a\n- b\n");
  CHECK_FALSE(list.config.has_value());
  CHECK(list.errors == "adapter.yaml:1:1: error: config must be a mapping of keys to values\n");
}

TEST_CASE("LoadConfig reports every error of a config at once") {
  Loaded loaded = LoadText(R"(web:
  listen_adress: ":9000"
sources:
  - name: s
    type: file
    pahts: [a.log]
    rules: [r.yaml]
    poll_interval: soon
  - name: s
    type: socket
    parser: jsn
    rules: [r.yaml]
)");
  CHECK(
      loaded.errors ==
      "adapter.yaml:2:3: error: unknown key \"listen_adress\" in \"web\" (did you mean "
      "\"listen_address\"?)\n"
      "adapter.yaml:4:5: error: source is missing required key \"paths\"\n"
      "adapter.yaml:8:20: error: \"poll_interval\" must be a duration such as \"250ms\", "
      "\"5s\" or \"1m\"\n"
      "adapter.yaml:6:5: error: unknown key \"pahts\" in source (did you mean \"paths\"?)\n"
      "adapter.yaml:11:13: error: unknown parser \"jsn\" (known: " +
          ParserNames() +
          ")\n"
          "adapter.yaml:10:11: error: unknown source type \"socket\" (known: file, http, tcp, "
          "exec, "
          "status_file, udp, tcp_listener)\n"
          "adapter.yaml:9:5: error: source name \"s\" is used twice (first at adapter.yaml:4:5)\n");
}

TEST_CASE("LoadConfig reads an http source's TLS and proxy options") {
  TempDir dir;
  Diagnostics diags;
  dir.Write("etc/tls/ca.pem", "ca");
  dir.Write("etc/tls/client.pem", "cert");
  dir.Write("etc/tls/client.key", "key");
  const std::string path = dir.Write("etc/adapter.yaml", R"(sources:
  - name: app
    type: http
    url: https://127.0.0.1:8443/status
    rules: [r.yaml]
    tls_config:
      ca_file: tls/ca.pem
      cert_file: tls/client.pem
      key_file: tls/client.key
      server_name: app.internal
      insecure_skip_verify: true
    proxy_url: http://127.0.0.1:3128
  - {name: plain, type: http, url: "http://127.0.0.1/", rules: [r.yaml]}
)");
  std::optional<AdapterConfig> config = LoadConfig(path, diags);
  CHECK(diags.Format() == "");
  REQUIRE(config.has_value());
  REQUIRE(config->sources.size() == 2);
  const HttpFetchOptions& http = config->sources[0].http;
  CHECK(http.url == "https://127.0.0.1:8443/status");
  CHECK(http.tls.ca_file == dir / "etc/tls/ca.pem");  // relative to the config
  CHECK(http.tls.cert_file == dir / "etc/tls/client.pem");
  CHECK(http.tls.key_file == dir / "etc/tls/client.key");
  CHECK(http.tls.server_name == "app.internal");
  CHECK(http.tls.insecure_skip_verify);
  CHECK(http.proxy_url == "http://127.0.0.1:3128");

  const HttpFetchOptions& plain = config->sources[1].http;
  CHECK(plain.tls.ca_file.empty());
  CHECK_FALSE(plain.tls.insecure_skip_verify);
  CHECK(plain.proxy_url.empty());
}

TEST_CASE("LoadConfig reports tls_config files it cannot read, naming file and key") {
  TempDir dir;
  Diagnostics diags;
  dir.Write("client.pem", "cert");
  std::filesystem::create_directories(dir / "key.d");
  const std::string path = dir.Write("adapter.yaml", R"(sources:
  - name: app
    type: http
    url: https://127.0.0.1/status
    rules: [r.yaml]
    tls_config:
      ca_file: missing-ca.pem
      cert_file: client.pem
      key_file: key.d
)");
  LoadConfig(path, diags);
  CHECK(diags.Format() == path + ":7:16: error: \"ca_file\": cannot read \"" +
                              dir / "missing-ca.pem\"\n" + path +
                              ":9:17: error: \"key_file\": cannot read \"" + dir / "key.d\"\n");
}

TEST_CASE("LoadConfig checks the rest of tls_config and proxy_url") {
  SUBCASE("cert_file without key_file") {
    TempDir dir;
    Diagnostics diags;
    dir.Write("client.pem", "cert");
    const std::string path = dir.Write("adapter.yaml", R"(sources:
  - {name: a, type: http, url: "https://h/", rules: [r.yaml], tls_config: {cert_file: client.pem}}
)");
    LoadConfig(path, diags);
    CHECK(diags.Format() == path + ":2:87: error: give \"cert_file\" and \"key_file\" together\n");
  }
  SUBCASE("tls_config on an http:// url, an unknown key, a bad proxy_url") {
    Loaded loaded = LoadText(R"(sources:
  - name: a
    type: http
    url: http://127.0.0.1/
    rules: [r.yaml]
    tls_config: {insecure_skip_verify: true, ca: x.pem}
    proxy_url: ftp://proxy
)");
    CHECK(loaded.errors ==
          "adapter.yaml:7:16: error: \"proxy_url\": unsupported scheme \"ftp\" (expected http:// "
          "or https:// or socks5:// or socks5h://)\n"
          "adapter.yaml:6:46: error: unknown key \"ca\" in \"tls_config\"\n"
          "adapter.yaml:6:17: error: \"tls_config\" needs an https:// url\n");
  }
  SUBCASE("an https url is fine without tls_config") {
    Loaded loaded = LoadText(R"(sources:
  - {name: a, type: http, url: "https://127.0.0.1:8443/", rules: [r.yaml]}
)");
    CHECK(loaded.errors == "");
  }
}

TEST_CASE("ParseDuration reads Prometheus-style durations") {
  CHECK(ParseDuration("250ms") == milliseconds(250));
  CHECK(ParseDuration("5s") == milliseconds(5000));
  CHECK(ParseDuration("1m") == milliseconds(60000));
  CHECK(ParseDuration("2h") == milliseconds(7200000));
  CHECK(ParseDuration("1h30m") == milliseconds(5400000));
  CHECK(ParseDuration("1h2m3s4ms") == milliseconds(3723004));
  CHECK(ParseDuration("0s") == milliseconds(0));
  CHECK(ParseDuration("999999999h") == milliseconds(999999999LL * 3600000));
}

TEST_CASE("ParseDuration rejects text that is not a duration") {
  for (const char* text : {"", "5", "s", "ms", "1.5s", "5 s", " 5s", "5s ", "-1s", "+1s", "1d",
                           "1S", "1sec", "5x", "1h30", "1000000000s"}) {
    CAPTURE(text);
    CHECK_FALSE(ParseDuration(text).has_value());
  }
}

TEST_CASE("the parser registry finds parsers by exact name, line first") {
  const ParserInfo* line = FindParser("line");
  REQUIRE(line != nullptr);
  CHECK(line->name == "line");
  CHECK(line->unit == ParserUnit::kLine);
  CHECK_FALSE(line->help.empty());
  std::string error;
  CHECK(line->create(line->Defaults(), &error) != nullptr);
  CHECK(FindParser("") == nullptr);
  CHECK(FindParser("Line") == nullptr);
  CHECK(ParserNames().starts_with("line"));
  REQUIRE_FALSE(BuiltinParsers().empty());
  CHECK(BuiltinParsers().front().name == "line");
  for (const ParserInfo& info : BuiltinParsers()) {
    CAPTURE(info.name);
    CHECK(FindParser(info.name) == &info);
    CHECK(info.create(info.Defaults(), &error) != nullptr);  // defaults are valid
  }
}

TEST_CASE("the line parser emits each line as one record without a value") {
  std::string error;
  std::unique_ptr<Parser> parser = FindParser("line")->create({}, &error);
  struct Collect : RecordSink {
    void OnRecord(const Record& record) override {
      texts.emplace_back(record.text);
      if (record.value) ++with_value;
    }
    void OnParseError(std::string_view) override { ++errors; }
    int errors = 0;
    std::vector<std::string> texts;
    int with_value = 0;
  } sink;
  parser->Parse("GET / 200", sink);
  parser->Parse("", sink);
  CHECK(sink.texts == std::vector<std::string>{"GET / 200", ""});
  CHECK(sink.with_value == 0);
  CHECK(sink.errors == 0);
}

}  // namespace
}  // namespace metrics_adapter

namespace metrics_adapter {
namespace {

TEST_CASE("LoadConfig reads a file source's multiline block, with defaults") {
  Loaded loaded = LoadText(R"(sources:
  - name: a
    type: file
    paths: [a.log]
    rules: [r.yaml]
    multiline:
      start: '^\d{4}-'
      max_lines: 50
      max_bytes: 4096
      flush_after: 2s
  - name: b
    type: file
    paths: [b.log]
    rules: [r.yaml]
    multiline: {continue: '^\s'}
  - {name: c, type: file, paths: [c.log], rules: [r.yaml]}
)");
  CHECK(loaded.errors == "");
  REQUIRE(loaded.config.has_value());
  REQUIRE(loaded.config->sources.size() == 3);
  const std::optional<MultilineOptions>& a = loaded.config->sources[0].tailer.multiline;
  REQUIRE(a.has_value());
  CHECK(a->mode == MultilineOptions::Mode::kStart);
  CHECK(a->pattern == R"(^\d{4}-)");
  CHECK(a->max_lines == 50);
  CHECK(a->max_bytes == 4096);
  CHECK(a->flush_after == milliseconds(2000));
  const std::optional<MultilineOptions>& b = loaded.config->sources[1].tailer.multiline;
  REQUIRE(b.has_value());
  CHECK(b->mode == MultilineOptions::Mode::kContinue);
  CHECK(b->pattern == R"(^\s)");
  CHECK(b->max_lines == 500);
  CHECK(b->max_bytes == 256 * 1024);
  CHECK(b->flush_after == milliseconds(1000));
  CHECK(!loaded.config->sources[2].tailer.multiline.has_value());
}

TEST_CASE("LoadConfig reports multiline errors at their key") {
  Loaded loaded = LoadText(R"(sources:
  - name: a
    type: file
    paths: [a.log]
    rules: [r.yaml]
    multiline:
      start: '^(ERROR'
      max_lines: 0
      max_bytes: 0
      flush_after: 0s
      strat: x
  - name: b
    type: file
    paths: [b.log]
    rules: [r.yaml]
    multiline: {start: '^a', continue: '^b'}
  - name: c
    type: file
    paths: [c.log]
    rules: [r.yaml]
    multiline: {max_lines: 5}
  - {name: d, type: file, paths: [d.log], rules: [r.yaml], multiline: '^a'}
)");
  CHECK(loaded.errors ==
        "adapter.yaml:7:14: error: \"start\": invalid regex: missing ): ^(ERROR\n"
        "adapter.yaml:8:18: error: \"max_lines\" must be between 1 and 1048576\n"
        "adapter.yaml:9:18: error: \"max_bytes\" must be between 1 and 67108864\n"
        "adapter.yaml:10:20: error: \"flush_after\" must be more than 0s\n"
        "adapter.yaml:11:7: error: unknown key \"strat\" in \"multiline\" (did you mean "
        "\"start\"?)\n"
        "adapter.yaml:16:40: error: \"multiline\" needs exactly one of \"start\" and "
        "\"continue\"\n"
        "adapter.yaml:21:16: error: \"multiline\" needs exactly one of \"start\" and "
        "\"continue\"\n"
        "adapter.yaml:22:71: error: \"multiline\" must be a mapping of keys to values\n");
}

}  // namespace
}  // namespace metrics_adapter
