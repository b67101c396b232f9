// Command-line flags, in the Prometheus exporters' style:
//   metrics-adapter [run|once|check|test] --config.file=adapter.yaml
//                   [--web.listen-address=HOST:PORT] [--log.level=info] ...
// Flags take "--name=value" or "--name value"; a boolean flag may stand alone.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace metrics_adapter {

struct Flags {
  std::string command = "run";  // run, once, check, test, explain
  std::string config_file;
  std::string listen_address;   // empty: the config's, else the default
  std::string web_config_file;  // TLS, basic auth, headers; empty: none
  std::string log_level = "info";
  std::string log_format = "logfmt";
  bool enable_lifecycle = false;                   // POST /-/reload
  bool enable_explain = false;                     // POST /-/explain
  std::chrono::milliseconds watch_interval{5000};  // 0: no reload on file change
  std::string source;                              // explain: only this source's rules
  bool help = false;
  bool version = false;
  std::vector<std::string> args;  // positional arguments after the command
};

// Parses argv. Returns false with *error set on an unknown flag or a flag
// missing its value.
bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error);

// The text of --help.
std::string UsageText();

}  // namespace metrics_adapter
