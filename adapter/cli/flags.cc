#include "adapter/cli/flags.h"

#include <string_view>

#include "adapter/base/duration.h"

namespace metrics_adapter {

namespace {

bool IsCommand(std::string_view arg) {
  return arg == "run" || arg == "once" || arg == "check" || arg == "test" || arg == "explain";
}

// A long flag without its `--`: `name` or `name=value`.
struct LongFlag {
  std::string_view name;
  std::string value;
  bool has_value = false;  // written as name=value
};

LongFlag SplitLongFlag(std::string_view text) {
  LongFlag flag{text, "", false};
  if (const std::size_t eq = text.find('='); eq != std::string_view::npos) {
    flag.value = std::string(text.substr(eq + 1));
    flag.name = text.substr(0, eq);
    flag.has_value = true;
  }
  return flag;
}

bool IsSwitch(std::string_view name) {
  return name == "web.enable-lifecycle" || name == "web.enable-explain";
}

// A switch: on when given alone or as =true, off as =false.
bool SetSwitch(const LongFlag& flag, Flags* flags, std::string* error) {
  if (flag.has_value && flag.value != "true" && flag.value != "false") {
    *error = "flag --" + std::string(flag.name) + " takes true or false";
    return false;
  }
  (flag.name == "web.enable-lifecycle" ? flags->enable_lifecycle : flags->enable_explain) =
      !flag.has_value || flag.value == "true";
  return true;
}

// Where the value of flag `name` goes; null when there is no such flag.
// --config.watch-interval goes to `*watch_interval`, to be read as a duration.
std::string* ValueTarget(std::string_view name, Flags* flags, std::string* watch_interval) {
  if (name == "config.watch-interval") return watch_interval;
  if (name == "config.file") return &flags->config_file;
  if (name == "web.listen-address") return &flags->listen_address;
  if (name == "web.config.file") return &flags->web_config_file;
  if (name == "log.level") return &flags->log_level;
  if (name == "log.format") return &flags->log_format;
  if (name == "source") return &flags->source;
  return nullptr;
}

bool SetWatchInterval(const std::string& value, Flags* flags, std::string* error) {
  std::optional<std::chrono::milliseconds> interval = ParseDuration(value);
  if (!interval) {
    *error = "flag --config.watch-interval takes a duration such as 5s or 0s, not " + value;
    return false;
  }
  flags->watch_interval = *interval;
  return true;
}

// Reads the flag argv[*i], `arg`, into `flags`; a value given as the next
// argument moves *i past it.
bool ParseLongFlag(std::string_view arg, int argc, char** argv, int* i, Flags* flags,
                   std::string* error) {
  if (!arg.starts_with("--") || arg.size() == 2) {
    *error = "unknown flag " + std::string(arg) + " (see --help)";
    return false;
  }
  LongFlag flag = SplitLongFlag(arg.substr(2));
  if (IsSwitch(flag.name)) return SetSwitch(flag, flags, error);
  std::string watch_interval;
  std::string* target = ValueTarget(flag.name, flags, &watch_interval);
  if (target == nullptr) {
    *error = "unknown flag " + std::string(arg) + " (see --help)";
    return false;
  }
  if (!flag.has_value) {
    if (*i + 1 >= argc) {
      *error = "flag --" + std::string(flag.name) + " needs a value";
      return false;
    }
    flag.value = argv[++*i];
  }
  *target = flag.value;
  if (target == &watch_interval) return SetWatchInterval(flag.value, flags, error);
  return true;
}

}  // namespace

bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  bool command_seen = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("-") || arg == "-") {  // "-" is stdin, an argument
      if (!command_seen && IsCommand(arg)) {
        flags->command = std::string(arg);
        command_seen = true;
      } else {
        flags->args.emplace_back(arg);
      }
    } else if (arg == "-h" || arg == "--help") {
      flags->help = true;
    } else if (arg == "--version") {
      flags->version = true;
    } else if (!ParseLongFlag(arg, argc, argv, &i, flags, error)) {
      return false;
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
  --web.config.file=FILE         TLS (and client certificates), basic auth and response
                                 headers for every endpoint, in the Prometheus exporter
                                 toolkit's web config format; reloaded with the config
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
