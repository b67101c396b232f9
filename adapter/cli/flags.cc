#include "adapter/cli/flags.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "adapter/base/build_info.h"
#include "adapter/base/duration.h"

namespace metrics_adapter {

namespace {

// ---------------------------------------------------------------------------
// The subcommands.

enum CommandBit : unsigned {
  kRun = 1U << 0,
  kOnce = 1U << 1,
  kCheck = 1U << 2,
  kTest = 1U << 3,
  kExplain = 1U << 4,
  kRules = 1U << 5,
  kAll = kRun | kOnce | kCheck | kTest | kExplain | kRules,
};

struct Command {
  std::string_view name;
  CommandBit bit;
  std::string_view purpose;  // one line
  std::string_view usage;    // after "metrics-adapter "; one or more lines
  std::string_view example;  // a whole command line
};

constexpr Command kCommands[] = {
    {"run", kRun, "follow the sources and serve /metrics until SIGTERM (the default)",
     "[run] --config.file=FILE [flags]",
     "metrics-adapter run --config.file=/etc/metrics-adapter/adapter.yaml "
     "--web.listen-address=:9469"},
    {"once", kOnce, "read every file source from start to end, print the exposition, exit",
     "once --config.file=FILE [flags]", "metrics-adapter once --config.file=adapter.yaml"},
    {"check", kCheck, "validate the config and its rule files; print every error",
     "check --config.file=FILE [flags]", "metrics-adapter check --config.file=adapter.yaml"},
    {"test", kTest, "run the tests embedded in rule files", "test RULEFILE... [flags]",
     "metrics-adapter test rules/library/nginx/*.yaml"},
    {"explain", kExplain,
     "show what the rules make of each input, each regex with its named patterns "
     "expanded, and where a pattern stops matching",
     "explain RULEFILE INPUT... [flags]\n"
     "explain --config.file=FILE [--source=NAME] INPUT... [flags]\n"
     "(an INPUT of \"-\" reads stdin)",
     "metrics-adapter explain rules/library/nginx/combined.yaml "
     "'10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"'"},
    {"rules", kRules,
     "print a rule file (with its test) for an nginx log_format or Apache LogFormat",
     "rules from-log-format --nginx=DIRECTIVE\n"
     "rules from-log-format --apache=DIRECTIVE\n"
     "(DIRECTIVE: log_format or LogFormat as in the server's config, or just the format string)",
     "metrics-adapter rules from-log-format "
     "--apache='LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b %D\" timed' > timed.yaml"},
};

const Command* FindCommand(std::string_view name) {
  for (const Command& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// The flags: one entry each in kFlags.

// Stores `value` (the text after "=", or the next argument; for a switch
// standing alone, empty) into `flags`. Returns false with *error set (the
// flag's name is prepended) when the value is not one the flag takes.
using Setter = bool (*)(std::string_view value, Flags& flags, std::string* error);

struct FlagSpec {
  std::string_view name;        // without "--"
  std::string_view value_name;  // "FILE", "DUR"...; empty: a switch (alone, =true or =false)
  unsigned commands;            // CommandBits of the subcommands it applies to
  std::string_view help;        // lines after the first are indented under it
  Setter set;
};

template <std::string Flags::*field>
bool SetString(std::string_view value, Flags& flags, std::string*) {
  flags.*field = std::string(value);
  return true;
}

template <bool Flags::*field>
bool SetSwitch(std::string_view value, Flags& flags, std::string* error) {
  if (value != "" && value != "true" && value != "false") {
    *error = "takes true or false";
    return false;
  }
  flags.*field = value != "false";
  return true;
}

template <std::chrono::milliseconds Flags::*field>
bool SetDuration(std::string_view value, Flags& flags, std::string* error) {
  std::optional<std::chrono::milliseconds> duration = ParseDuration(value);
  if (!duration) {
    *error = "takes a duration such as 5s or 0s, not \"" + std::string(value) + "\"";
    return false;
  }
  flags.*field = *duration;
  return true;
}

// One name per level, the one the log prints; "warning" is read as "warn".
bool SetLogLevel(std::string_view value, Flags& flags, std::string* error) {
  if (value == "warning") value = "warn";
  if (value != "debug" && value != "info" && value != "warn" && value != "error") {
    *error = "takes debug, info, warn or error, not \"" + std::string(value) + "\"";
    return false;
  }
  flags.log_level = std::string(value);
  return true;
}

// A whole number in [min, max].
template <int Flags::*field, int min, int max>
bool SetCount(std::string_view value, Flags& flags, std::string* error) {
  int n = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || ptr != end || n < min || n > max) {
    *error = "takes a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
             ", not \"" + std::string(value) + "\"";
    return false;
  }
  flags.*field = n;
  return true;
}

// A duration of at least 1ms: a request must have some time to arrive.
bool SetReadTimeout(std::string_view value, Flags& flags, std::string* error) {
  std::optional<std::chrono::milliseconds> timeout = ParseDuration(value);
  if (!timeout || timeout->count() < 1) {
    *error = "takes a duration of at least 1ms such as 10s, not \"" + std::string(value) + "\"";
    return false;
  }
  flags.read_timeout = *timeout;
  return true;
}

bool SetLogFormat(std::string_view value, Flags& flags, std::string* error) {
  if (value != "logfmt" && value != "json") {
    *error = "takes logfmt or json, not \"" + std::string(value) + "\"";
    return false;
  }
  flags.log_format = std::string(value);
  return true;
}

// One entry per flag; --help lists them in this order. A new flag is a field
// of Flags and one entry here, stored by SetString, SetSwitch, SetDuration or
// a Setter of its own that checks the value (a bad value is a usage error).
constexpr FlagSpec kFlags[] = {
    {"config.file", "FILE", kRun | kOnce | kCheck | kExplain,
     "the adapter config (YAML); required by run, once and check", &SetString<&Flags::config_file>},
    {"web.listen-address", "ADDR", kRun,
     "where to serve /metrics, /healthz and /readyz, as HOST:PORT or :PORT\n"
     "(default: the config's web.listen_address, else :9469; port 0: any free port);\n"
     "IPv4 only ([IPV6]:PORT is refused: civetweb built without IPv6)",
     &SetString<&Flags::listen_address>},
    {"web.telemetry-path", "PATH", kRun, "where to serve the metrics (default /metrics)",
     &SetString<&Flags::telemetry_path>},
    {"web.max-requests", "N", kRun,
     "scrapes rendered at once, 503 beyond (default 40; 0: no limit)",
     &SetCount<&Flags::max_requests, 0, 10000>},
    {"web.max-connections", "N", kRun,
     "connections served at once, one worker thread each (1..10000, default\n"
     "512); as many more wait in a queue, then the kernel's listen backlog\n"
     "(net.core.somaxconn)",
     &SetCount<&Flags::max_connections, 1, 10000>},
    {"web.read-timeout", "DUR", kRun,
     "a request's head and body must arrive within this (default 10s)", &SetReadTimeout},
    {"web.config.file", "FILE", kRun | kCheck,
     "TLS (and client certificates), basic auth and response headers for every\n"
     "endpoint, in the Prometheus exporter toolkit's web config format;\n"
     "reloaded with the config (check: validated with it)",
     &SetString<&Flags::web_config_file>},
    {"web.enable-lifecycle", "", kRun, "accept POST /-/reload",
     &SetSwitch<&Flags::enable_lifecycle>},
    {"web.enable-explain", "", kRun,
     "accept POST /-/explain?source=NAME (input as body): what the source's\n"
     "rules make of it; a debug aid, off by default",
     &SetSwitch<&Flags::enable_explain>},
    {"config.watch-interval", "DUR", kRun,
     "how often to check the config and rule files for changes and reload\n"
     "(default 5s; 0s turns it off; SIGHUP always reloads)",
     &SetDuration<&Flags::watch_interval>},
    {"pipeline.threads", "N", kRun | kOnce,
     "threads that parse and match a busy file or listener source's lines, in\n"
     "line order (0..256; default 0: the CPUs the process may use, from its\n"
     "affinity and the cgroup v2 cpu.max, so a pod's CPU limit rounded up)",
     &SetCount<&Flags::pipeline_threads, 0, 256>},
    {"nginx", "DIRECTIVE", kRules,
     "an nginx log_format directive (escape= included), or its format string",
     &SetString<&Flags::nginx_format>},
    {"apache", "DIRECTIVE", kRules, "an Apache LogFormat directive, or its format string",
     &SetString<&Flags::apache_format>},
    {"source", "NAME", kExplain, "with --config.file: only this source's rules",
     &SetString<&Flags::source>},
    {"log.level", "LEVEL", kAll, "debug, info, warn or error (default info; warning = warn)",
     &SetLogLevel},
    {"log.format", "FORMAT", kAll, "logfmt or json, on stderr (default logfmt)", &SetLogFormat},
    // With --help or --version, ParseFlags checks nothing else.
    {"help", "", kAll, "this help; -h is the same (also: metrics-adapter help COMMAND)",
     &SetSwitch<&Flags::help>},
    {"version", "", kAll, "print the version and revision, and exit", &SetSwitch<&Flags::version>},
};

const FlagSpec* FindFlag(std::string_view name) {
  for (const FlagSpec& flag : kFlags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Parsing.

// Where to look for help in an error message.
std::string SeeHelp(const std::string& command) {
  return command.empty() ? " (see metrics-adapter --help)"
                         : " (see metrics-adapter " + command + " --help)";
}

// What one pass over argv found, before the command-dependent checks.
struct Scan {
  std::string command;  // empty: none named
  std::vector<const FlagSpec*> seen;
};

// Reads the flag argv[*i], `arg`, into `flags`; a value given as the next
// argument moves *i past it.
bool ParseLongFlag(std::string_view arg, int argc, char** argv, int* i, Flags* flags, Scan* scan,
                   std::string* error) {
  const std::size_t eq = arg.find('=');
  const FlagSpec* flag = nullptr;
  if (arg.starts_with("--")) {
    flag = FindFlag(arg.substr(2, eq == std::string_view::npos ? eq : eq - 2));
  }
  if (flag == nullptr) {
    *error = "unknown flag " + std::string(arg);
    return false;
  }
  std::string_view value;
  if (eq != std::string_view::npos) {
    value = arg.substr(eq + 1);
  } else if (!flag->value_name.empty()) {
    if (*i + 1 >= argc) {
      *error = "flag --" + std::string(flag->name) + " needs a value";
      return false;
    }
    value = argv[++*i];
  }
  std::string why;
  if (!flag->set(value, *flags, &why)) {
    *error = "flag --" + std::string(flag->name) + " " + why;
    return false;
  }
  scan->seen.push_back(flag);
  return true;
}

bool ScanArgs(int argc, char** argv, Flags* flags, Scan* scan, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("-") || arg == "-") {  // "-" is stdin, an argument
      if (scan->command.empty() && flags->args.empty()) {
        if (arg == "help") {
          flags->help = true;
        } else if (FindCommand(arg) == nullptr) {
          *error = "unknown command \"" + std::string(arg) + "\"";
          return false;
        }
        scan->command = std::string(arg);
        continue;
      }
      flags->args.emplace_back(arg);
    } else if (arg == "-h") {
      flags->help = true;
    } else if (!ParseLongFlag(arg, argc, argv, &i, flags, scan, error)) {
      return false;
    }
  }
  return true;
}

// The checks that depend on the subcommand: its flags, its arguments.
bool CheckCommand(const Flags& flags, const Scan& scan, std::string* error) {
  const Command& command = *FindCommand(flags.command);
  for (const FlagSpec* flag : scan.seen) {
    if ((flag->commands & command.bit) == 0) {
      *error = "flag --" + std::string(flag->name) + " does not apply to " + flags.command;
      return false;
    }
  }
  const bool needs_config = command.bit & (kRun | kOnce | kCheck);
  if (needs_config && flags.config_file.empty()) {
    *error = flags.command + " needs --config.file";
    return false;
  }
  if (needs_config && !flags.args.empty()) {
    *error = "unexpected argument \"" + flags.args.front() + "\"";
    return false;
  }
  if (command.bit == kTest && flags.args.empty()) {
    *error = "test needs one or more rule files";
    return false;
  }
  if (command.bit == kExplain && !flags.source.empty() && flags.config_file.empty()) {
    *error = "flag --source needs --config.file";
    return false;
  }
  if (command.bit == kRules) {
    if (flags.args.size() != 1 || flags.args.front() != "from-log-format") {
      *error = "rules takes one subcommand: from-log-format";
      return false;
    }
    if (flags.nginx_format.empty() == flags.apache_format.empty()) {
      *error = "rules from-log-format needs one of --nginx and --apache";
      return false;
    }
  }
  // Without --config.file, the first argument is the rule file.
  const std::size_t before_inputs = flags.config_file.empty() ? 1 : 0;
  if (command.bit == kExplain && flags.args.size() <= before_inputs) {
    *error = flags.config_file.empty() ? "explain needs a rule file and inputs to explain"
                                       : "explain needs inputs to explain (\"-\" reads stdin)";
    return false;
  }
  return true;
}

}  // namespace

bool ParseFlags(int argc, char** argv, Flags* flags, std::string* error) {
  Scan scan;
  if (!ScanArgs(argc, argv, flags, &scan, error)) {
    *error += SeeHelp(scan.command == "help" ? "" : scan.command);
    return false;
  }
  if (scan.command == "help") {  // help [COMMAND]
    if (flags->args.size() > 1) {
      *error = "help takes one command" + SeeHelp("");
      return false;
    }
    flags->help_topic = flags->args.empty() ? "" : flags->args.front();
    if (!flags->help_topic.empty() && FindCommand(flags->help_topic) == nullptr) {
      *error = "unknown command \"" + flags->help_topic + "\"" + SeeHelp("");
      return false;
    }
    flags->args.clear();
    return true;
  }
  if (!scan.command.empty()) flags->command = scan.command;
  if (flags->help) {
    flags->help_topic = scan.command;
    return true;
  }
  if (flags->version) return true;
  if (!CheckCommand(*flags, scan, error)) {
    *error += SeeHelp(flags->command);
    return false;
  }
  return true;
}

namespace {

// "  --name=VALUE" padded to the help column, then the help's lines.
void AppendFlag(const FlagSpec& flag, std::string& out) {
  constexpr std::size_t kColumn = 31;
  std::string left = "  --" + std::string(flag.name);
  if (!flag.value_name.empty()) left += "=" + std::string(flag.value_name);
  left.resize(std::max(kColumn, left.size() + 1), ' ');
  out += left;
  for (const char c : flag.help) {
    out += c;
    if (c == '\n') out += std::string(kColumn, ' ');
  }
  out += "\n";
}

std::string Indented(std::string_view text, std::string_view indent) {
  std::string out(indent);
  for (const char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out + "\n";
}

constexpr std::string_view kExitCodes =
    "Exit status:\n"
    "  0  success (the check or the tests passed)\n"
    "  1  a check or a test failed, or running failed\n"
    "  2  usage: unknown command or flag, a missing or bad value, a flag that\n"
    "     does not apply to the command, a missing or unexpected argument\n";

std::string OverviewText() {
  std::string out =
      "metrics-adapter: turns a legacy application's logs, status pages and commands into\n"
      "Prometheus metrics.\n\n"
      "Usage:\n  metrics-adapter COMMAND [flags] [arguments]\n\nCommands:\n";
  for (const Command& command : kCommands) {
    std::string name = "  " + std::string(command.name);
    name.resize(12, ' ');
    out += name + std::string(command.purpose) + "\n";
  }
  out +=
      "  help      this text; help COMMAND: that command's flags and an example\n\n"
      "Flags of every command:\n";
  for (const FlagSpec& flag : kFlags) {
    if (flag.commands == kAll) AppendFlag(flag, out);
  }
  out += "\n" + std::string(kExitCodes) +
         "\nRun \"metrics-adapter COMMAND --help\" for a command's own flags.\n";
  return out;
}

std::string CommandText(const Command& command) {
  std::string out = "metrics-adapter " + std::string(command.name) + ": " +
                    std::string(command.purpose) + ".\n\nUsage:\n" +
                    Indented(command.usage, "  metrics-adapter ") + "\nFlags:\n";
  // The continuation lines of a usage ("(an INPUT ...)") are not commands.
  if (const std::size_t note = out.find("  metrics-adapter ("); note != std::string::npos) {
    out.replace(note, std::string_view("  metrics-adapter ").size(), "  ");
  }
  for (const FlagSpec& flag : kFlags) {
    if (flag.commands & command.bit) AppendFlag(flag, out);
  }
  out += "\nExample:\n  " + std::string(command.example) + "\n\n" + std::string(kExitCodes);
  return out;
}

}  // namespace

std::string HelpText(const std::string& topic) {
  if (topic.empty()) return OverviewText();
  const Command* command = FindCommand(topic);
  return command == nullptr ? "" : CommandText(*command);
}

std::string VersionText() {
  const BuildInfo& build = GetBuildInfo();
  return "metrics-adapter, version " + std::string(build.version) +
         " (revision: " + std::string(build.revision) + ", branch: " + std::string(build.branch) +
         ")\n  compiler: " + std::string(build.compiler) + "\n";
}

}  // namespace metrics_adapter
