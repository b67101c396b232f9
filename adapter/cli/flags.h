// Command-line flags and subcommands, in the Prometheus exporters' style:
//   metrics-adapter [run|once|check|test|explain|rules|help] [flags] [arguments]
// Flags take "--name=value" or "--name value"; a switch may stand alone or
// take =true / =false. Flags may come before or after the subcommand. Each
// flag belongs to the subcommands it applies to (the table in flags.cc, one
// entry per flag, also writes --help); any other use is a usage error.
//
// Usage:
//   Flags flags;
//   std::string error;
//   if (!ParseFlags(argc, argv, &flags, &error)) { std::cerr << error; return kExitUsage; }
//   if (flags.help) { std::cout << HelpText(flags.help_topic); return kExitOk; }
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace metrics_adapter {

// The exit status of every subcommand.
inline constexpr int kExitOk = 0;       // done; the check or the tests passed
inline constexpr int kExitFailure = 1;  // a check or test failed, or running failed
inline constexpr int kExitUsage = 2;    // bad command line: nothing was run

struct Flags {
  std::string command = "run";  // run, once, check, test, explain, rules (help sets `help`)
  std::string config_file;
  std::string listen_address;      // empty: the config's, else the default
  std::string web_config_file;     // TLS, basic auth, headers; empty: none
  std::string log_level = "info";  // debug, info, warn, error ("warning" is read as warn)
  std::string log_format = "logfmt";
  bool enable_lifecycle = false;                   // POST /-/reload
  bool enable_explain = false;                     // POST /-/explain
  std::chrono::milliseconds watch_interval{5000};  // 0: no reload on file change
  std::string telemetry_path = "/metrics";         // where the exposition is served
  int max_requests = 40;                           // renders at once; 0: no limit
  int max_connections = 512;                       // connections served at once
  std::chrono::milliseconds read_timeout{10000};   // a request's head and body
  int pipeline_threads = 0;                        // 0: CpusAllowed()
  std::string source;                              // explain: only this source's rules
  std::string nginx_format;                        // rules from-log-format: a log_format
  std::string apache_format;                       // rules from-log-format: a LogFormat
  bool help = false;
  std::string help_topic;  // the subcommand whose help to print; empty: the overview
  bool version = false;
  std::vector<std::string> args;  // positional arguments after the command
};

// Parses argv. Returns false with *error set on a usage error: an unknown
// subcommand or flag, a flag missing its value or with a bad one, a flag
// that does not apply to the subcommand, a missing or unexpected argument.
// The error names the subcommand's help. With --help or --version nothing
// but the flags' spelling is checked.
bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error);

// The text of `metrics-adapter --help` (topic empty) or of
// `metrics-adapter TOPIC --help`: the subcommand's purpose, usage, flags and
// an example. Returns an empty string for an unknown topic.
std::string HelpText(const std::string& topic);

// The version line(s) of --version: version, revision, branch, compiler.
std::string VersionText();

}  // namespace metrics_adapter
