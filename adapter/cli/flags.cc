#include "adapter/cli/flags.h"

#include <string_view>

#include "adapter/base/duration.h"

namespace metrics_adapter {

bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  bool command_seen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("-") || arg == "-") {  // "-" is stdin, an argument
      if (!command_seen &&
          (arg == "run" || arg == "once" || arg == "check" || arg == "test" || arg == "explain")) {
        flags->command = std::string(arg);
        command_seen = true;
      } else {
        flags->args.emplace_back(arg);
      }
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      flags->help = true;
      continue;
    }
    if (arg == "--version") {
      flags->version = true;
      continue;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      *error = "unknown flag " + std::string(arg) + " (see --help)";
      return false;
    }
    std::string_view name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "web.enable-lifecycle" || name == "web.enable-explain") {
      if (has_value && value != "true" && value != "false") {
        *error = "flag --" + std::string(name) + " takes true or false";
        return false;
      }
      (name == "web.enable-lifecycle" ? flags->enable_lifecycle : flags->enable_explain) =
          !has_value || value == "true";
      continue;
    }
    std::string* target = nullptr;
    std::string watch_interval;
    if (name == "config.watch-interval") target = &watch_interval;
    if (name == "config.file") target = &flags->config_file;
    if (name == "web.listen-address") target = &flags->listen_address;
    if (name == "log.level") target = &flags->log_level;
    if (name == "log.format") target = &flags->log_format;
    if (name == "source") target = &flags->source;
    if (target == nullptr) {
      *error = "unknown flag " + std::string(arg) + " (see --help)";
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "flag --" + std::string(name) + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    *target = value;
    if (target == &watch_interval) {
      std::optional<std::chrono::milliseconds> interval = ParseDuration(value);
      if (!interval) {
        *error = "flag --config.watch-interval takes a duration such as 5s or 0s, not " + value;
        return false;
      }
      flags->watch_interval = *interval;
    }
  }
  return true;
}

std::string UsageText() {
  return R"(metrics-adapter: turns a legacy application's logs into Prometheus metrics.

Usage:
  metrics-adapter [run] --config.file=FILE [flags]   follow the sources, serve /metrics
  metrics-adapter once  --config.file=FILE           read every file source from start to end,
                                                     print the exposition, exit
  metrics-adapter check --config.file=FILE           validate the config and its rule files
  metrics-adapter test  RULEFILE...                  run the tests embedded in rule files
  metrics-adapter explain RULEFILE LINE...           show what the rules make of each line:
  metrics-adapter explain --config.file=FILE [--source=NAME] LINE...
                                                     rules tried, captures, updates, and where
                                                     a pattern stops matching ("-" reads stdin)

Flags:
  --config.file=FILE             adapter config (YAML)
  --web.listen-address=ADDR      where to serve /metrics, /healthz and /readyz, as HOST:PORT
                                 or :PORT (default: the config's web.listen_address, else :9469)
  --web.enable-lifecycle         accept POST /-/reload
  --web.enable-explain           accept POST /-/explain?source=NAME (input as body): what the
                                 source's rules make of it; a debug aid, off by default
  --config.watch-interval=DUR    how often to check the config and rule files for changes and
                                 reload (default 5s; 0s turns it off; SIGHUP always reloads)
  --log.level=LEVEL              debug, info, warn, error (default info)
  --log.format=FORMAT            logfmt or json (default logfmt)
  --version                      print the version and exit
  -h, --help                     this text
)";
}

}  // namespace metrics_adapter
