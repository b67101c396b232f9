// ParseFlags and HelpText: subcommands, both flag forms, which flags apply to
// which subcommand, and the usage errors (exit status 2) for everything else.
#include "adapter/cli/flags.h"

#include <doctest/doctest.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

struct Parsed {
  bool ok;
  Flags flags;
  std::string error;
};

Parsed Parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage = {"metrics-adapter"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  Parsed out;
  out.ok = ParseFlags(static_cast<int>(storage.size()), argv.data(), &out.flags, &out.error);
  return out;
}

TEST_CASE("ParseFlags runs by default, with the defaults") {
  Parsed p = Parse({"--config.file=a.yaml"});
  REQUIRE(p.ok);
  CHECK(p.flags.command == "run");
  CHECK(p.flags.config_file == "a.yaml");
  CHECK(p.flags.listen_address == "");
  CHECK(p.flags.log_level == "info");
  CHECK(p.flags.log_format == "logfmt");
  CHECK_FALSE(p.flags.help);
  CHECK_FALSE(p.flags.version);
  CHECK_FALSE(p.flags.enable_lifecycle);
  CHECK_FALSE(p.flags.enable_explain);
  CHECK(p.flags.watch_interval == std::chrono::seconds(5));
  CHECK(p.flags.args.empty());
}

TEST_CASE("ParseFlags takes each subcommand") {
  for (const char* command : {"run", "once", "check"}) {
    CAPTURE(command);
    Parsed p = Parse({command, "--config.file=a.yaml"});
    REQUIRE(p.ok);
    CHECK(p.flags.command == command);
    CHECK(p.flags.config_file == "a.yaml");
    CHECK(p.flags.args.empty());
  }
  Parsed test = Parse({"test", "a.yaml"});
  REQUIRE(test.ok);
  CHECK(test.flags.command == "test");
  Parsed explain = Parse({"explain", "a.yaml", "line"});
  REQUIRE(explain.ok);
  CHECK(explain.flags.command == "explain");
  CHECK(explain.flags.args == std::vector<std::string>{"a.yaml", "line"});
}

TEST_CASE("ParseFlags takes --name=value and --name value") {
  Parsed p = Parse({"--config.file=a.yaml", "--web.listen-address", ":9000", "--log.level=debug",
                    "--log.format", "json", "--web.config.file", "web.yaml"});
  REQUIRE(p.ok);
  CHECK(p.flags.config_file == "a.yaml");
  CHECK(p.flags.listen_address == ":9000");
  CHECK(p.flags.web_config_file == "web.yaml");
  CHECK(p.flags.log_level == "debug");
  CHECK(p.flags.log_format == "json");
}

TEST_CASE("ParseFlags keeps everything after the first '=' as the value, even nothing") {
  Parsed p = Parse({"--config.file=dir/a=b.yaml", "--web.listen-address="});
  REQUIRE(p.ok);
  CHECK(p.flags.config_file == "dir/a=b.yaml");
  CHECK(p.flags.listen_address == "");
}

TEST_CASE("ParseFlags lets flags come before the subcommand and the last value win") {
  Parsed p = Parse({"--config.file=a.yaml", "check", "--config.file", "b.yaml"});
  REQUIRE(p.ok);
  CHECK(p.flags.command == "check");
  CHECK(p.flags.config_file == "b.yaml");
}

TEST_CASE("ParseFlags collects positional arguments after the subcommand") {
  Parsed p = Parse({"test", "a.yaml", "--log.level=warn", "b.yaml"});
  REQUIRE(p.ok);
  CHECK(p.flags.command == "test");
  CHECK(p.flags.args == std::vector<std::string>{"a.yaml", "b.yaml"});
  CHECK(p.flags.log_level == "warn");
}

TEST_CASE("ParseFlags takes only the first word as the subcommand") {
  Parsed p = Parse({"test", "once"});
  REQUIRE(p.ok);
  CHECK(p.flags.command == "test");
  CHECK(p.flags.args == std::vector<std::string>{"once"});
}

TEST_CASE("ParseFlags rejects an unknown subcommand") {
  Parsed p = Parse({"serve", "--config.file=a.yaml"});
  CHECK_FALSE(p.ok);
  CHECK(p.error == "unknown command \"serve\" (see metrics-adapter --help)");
}

TEST_CASE("ParseFlags sets help and version, and checks nothing more then") {
  CHECK(Parse({"-h"}).flags.help);
  CHECK(Parse({"--help"}).flags.help);
  CHECK(Parse({"--version"}).flags.version);
  CHECK(Parse({"--version"}).ok);  // no --config.file needed
  CHECK_FALSE(Parse({"--version"}).flags.help);
  Parsed help = Parse({"check", "--help"});
  REQUIRE(help.ok);
  CHECK(help.flags.help);
  CHECK(help.flags.help_topic == "check");
  CHECK(Parse({"--help", "explain"}).flags.help_topic == "explain");
  CHECK(Parse({"--help"}).flags.help_topic == "");
}

TEST_CASE("ParseFlags reads `help [COMMAND]`") {
  Parsed overview = Parse({"help"});
  REQUIRE(overview.ok);
  CHECK(overview.flags.help);
  CHECK(overview.flags.help_topic == "");
  Parsed topic = Parse({"help", "once"});
  REQUIRE(topic.ok);
  CHECK(topic.flags.help);
  CHECK(topic.flags.help_topic == "once");
  CHECK(topic.flags.args.empty());

  Parsed unknown = Parse({"help", "serve"});
  CHECK_FALSE(unknown.ok);
  CHECK(unknown.error == "unknown command \"serve\" (see metrics-adapter --help)");
  Parsed two = Parse({"help", "run", "once"});
  CHECK_FALSE(two.ok);
  CHECK(two.error == "help takes one command (see metrics-adapter --help)");
}

TEST_CASE("ParseFlags takes a switch alone or with true or false") {
  CHECK(Parse({"--config.file=a", "--web.enable-lifecycle"}).flags.enable_lifecycle);
  CHECK(Parse({"--config.file=a", "--web.enable-lifecycle=true"}).flags.enable_lifecycle);
  CHECK(Parse({"--config.file=a", "--web.enable-explain"}).flags.enable_explain);
  Parsed off = Parse({"--config.file=a", "--web.enable-lifecycle", "--web.enable-lifecycle=false"});
  REQUIRE(off.ok);
  CHECK_FALSE(off.flags.enable_lifecycle);
  // Standing alone, it does not take the next argument as its value.
  Parsed alone = Parse({"--web.enable-lifecycle", "run", "--config.file=a"});
  REQUIRE(alone.ok);
  CHECK(alone.flags.enable_lifecycle);
  CHECK(alone.flags.command == "run");

  Parsed bad = Parse({"--web.enable-lifecycle=yes"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error ==
        "flag --web.enable-lifecycle takes true or false (see metrics-adapter --help)");
}

TEST_CASE("ParseFlags reads --config.watch-interval as a duration") {
  CHECK(Parse({"--config.file=a", "--config.watch-interval=0s"}).flags.watch_interval ==
        std::chrono::seconds(0));
  CHECK(Parse({"--config.file=a", "--config.watch-interval", "1m30s"}).flags.watch_interval ==
        std::chrono::seconds(90));
  Parsed bad = Parse({"run", "--config.watch-interval=soon"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error ==
        "flag --config.watch-interval takes a duration such as 5s or 0s, not \"soon\" (see "
        "metrics-adapter run --help)");
  Parsed missing = Parse({"--config.watch-interval"});
  CHECK_FALSE(missing.ok);
  CHECK(missing.error == "flag --config.watch-interval needs a value (see metrics-adapter --help)");
}

TEST_CASE("ParseFlags checks --log.level and --log.format, and reads warning as warn") {
  CHECK(Parse({"test", "a.yaml", "--log.level=warning"}).flags.log_level == "warn");
  CHECK(Parse({"test", "a.yaml", "--log.level=error"}).flags.log_level == "error");
  Parsed level = Parse({"test", "a.yaml", "--log.level=verbose"});
  CHECK_FALSE(level.ok);
  CHECK(level.error ==
        "flag --log.level takes debug, info, warn or error, not \"verbose\" (see metrics-adapter "
        "test --help)");
  Parsed format = Parse({"test", "a.yaml", "--log.format=text"});
  CHECK_FALSE(format.ok);
  CHECK(format.error ==
        "flag --log.format takes logfmt or json, not \"text\" (see metrics-adapter test --help)");
}

TEST_CASE("ParseFlags reads the server's limits and telemetry path") {
  Parsed defaults = Parse({"--config.file=a"});
  CHECK(defaults.flags.telemetry_path == "/metrics");
  CHECK(defaults.flags.max_requests == 40);
  CHECK(defaults.flags.max_connections == 512);
  CHECK(defaults.flags.read_timeout == std::chrono::seconds(10));

  Parsed p = Parse({"--config.file=a", "--web.telemetry-path=/prom", "--web.max-requests", "0",
                    "--web.max-connections=64", "--web.read-timeout=2500ms"});
  REQUIRE(p.ok);
  CHECK(p.flags.telemetry_path == "/prom");
  CHECK(p.flags.max_requests == 0);
  CHECK(p.flags.max_connections == 64);
  CHECK(p.flags.read_timeout == std::chrono::milliseconds(2500));

  Parsed bad = Parse({"--config.file=a", "--web.max-connections=0"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error ==
        "flag --web.max-connections takes a whole number from 1 to 10000, not \"0\" (see "
        "metrics-adapter --help)");
  CHECK_FALSE(Parse({"--config.file=a", "--web.max-requests=-1"}).ok);
  CHECK_FALSE(Parse({"--config.file=a", "--web.max-requests=4x"}).ok);
  CHECK_FALSE(Parse({"--config.file=a", "--web.max-requests="}).ok);
  Parsed timeout = Parse({"--config.file=a", "--web.read-timeout=0s"});
  CHECK_FALSE(timeout.ok);
  CHECK(timeout.error ==
        "flag --web.read-timeout takes a duration of at least 1ms such as 10s, not \"0s\" (see "
        "metrics-adapter --help)");
  // They are run's flags only.
  CHECK_FALSE(Parse({"check", "--config.file=a", "--web.max-requests=1"}).ok);
}

TEST_CASE("ParseFlags reads the pipeline's threads, for run and once") {
  CHECK(Parse({"--config.file=a"}).flags.pipeline_threads == 0);  // the CPU limit's
  Parsed run = Parse({"--config.file=a", "--pipeline.threads=2"});
  REQUIRE(run.ok);
  CHECK(run.flags.pipeline_threads == 2);
  Parsed once = Parse({"once", "--config.file=a", "--pipeline.threads", "1"});
  REQUIRE(once.ok);
  CHECK(once.flags.pipeline_threads == 1);
  Parsed bad = Parse({"--config.file=a", "--pipeline.threads=257"});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error ==
        "flag --pipeline.threads takes a whole number from 0 to 256, not \"257\" (see "
        "metrics-adapter --help)");
  CHECK_FALSE(Parse({"check", "--config.file=a", "--pipeline.threads=2"}).ok);
}

TEST_CASE("ParseFlags rejects an unknown flag, naming it") {
  Parsed p = Parse({"--config.fle=a.yaml"});
  CHECK_FALSE(p.ok);
  CHECK(p.error == "unknown flag --config.fle=a.yaml (see metrics-adapter --help)");

  Parsed single_dash = Parse({"check", "-config.file=a.yaml"});
  CHECK_FALSE(single_dash.ok);
  CHECK(single_dash.error == "unknown flag -config.file=a.yaml (see metrics-adapter check --help)");

  Parsed short_flag = Parse({"-v"});
  CHECK_FALSE(short_flag.ok);
  CHECK(short_flag.error == "unknown flag -v (see metrics-adapter --help)");

  for (const char* odd : {"--", "-=", "--=x", "---help"}) {
    CAPTURE(odd);
    CHECK_FALSE(Parse({odd}).ok);
  }
}

TEST_CASE("ParseFlags rejects a flag missing its value") {
  Parsed p = Parse({"check", "--config.file"});
  CHECK_FALSE(p.ok);
  CHECK(p.error == "flag --config.file needs a value (see metrics-adapter check --help)");
}

TEST_CASE("ParseFlags rejects a flag that does not apply to the subcommand") {
  struct Case {
    std::vector<const char*> args;
    const char* error;
  };
  const std::vector<Case> cases = {
      {{"check", "--config.file=a", "--web.listen-address=:1"},
       "flag --web.listen-address does not apply to check (see metrics-adapter check --help)"},
      {{"--web.enable-lifecycle", "once", "--config.file=a"},
       "flag --web.enable-lifecycle does not apply to once (see metrics-adapter once --help)"},
      {{"test", "a.yaml", "--config.file=a"},
       "flag --config.file does not apply to test (see metrics-adapter test --help)"},
      {{"explain", "a.yaml", "x", "--config.watch-interval=1s"},
       "flag --config.watch-interval does not apply to explain (see metrics-adapter explain "
       "--help)"},
      {{"--source=s", "--config.file=a"},
       "flag --source does not apply to run (see metrics-adapter run --help)"},
      {{"once", "--config.file=a", "--web.config.file=w"},
       "flag --web.config.file does not apply to once (see metrics-adapter once --help)"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> storage = {"metrics-adapter"};
    storage.insert(storage.end(), c.args.begin(), c.args.end());
    std::vector<char*> argv;
    for (std::string& arg : storage) argv.push_back(arg.data());
    Flags flags;
    std::string error;
    CAPTURE(c.error);
    CHECK_FALSE(ParseFlags(static_cast<int>(storage.size()), argv.data(), &flags, &error));
    CHECK(error == c.error);
  }
}

TEST_CASE("ParseFlags rejects missing and unexpected arguments") {
  CHECK(Parse({}).error == "run needs --config.file (see metrics-adapter run --help)");
  CHECK(Parse({"once"}).error == "once needs --config.file (see metrics-adapter once --help)");
  CHECK(Parse({"check", "--config.file=a", "extra"}).error ==
        "unexpected argument \"extra\" (see metrics-adapter check --help)");
  CHECK(Parse({"test"}).error ==
        "test needs one or more rule files (see metrics-adapter test --help)");
  CHECK(Parse({"explain"}).error ==
        "explain needs a rule file and inputs to explain (see metrics-adapter explain --help)");
  CHECK(Parse({"explain", "rules.yaml"}).error ==
        "explain needs a rule file and inputs to explain (see metrics-adapter explain --help)");
  CHECK(Parse({"explain", "--config.file=a"}).error ==
        "explain needs inputs to explain (\"-\" reads stdin) (see metrics-adapter explain "
        "--help)");
  CHECK(Parse({"explain", "--source=s", "r.yaml", "x"}).error ==
        "flag --source needs --config.file (see metrics-adapter explain --help)");
  CHECK(Parse({"explain", "--config.file=a", "--source=s", "x"}).ok);
}

// "-" stands for stdin (`metrics-adapter explain RULES -`): an argument, not
// a flag, and it must not crash the flag parser.
TEST_CASE("ParseFlags takes a lone \"-\" as an argument") {
  Parsed p = Parse({"explain", "rules.yaml", "-"});
  REQUIRE(p.ok);
  CHECK(p.flags.command == "explain");
  CHECK(p.flags.args == std::vector<std::string>{"rules.yaml", "-"});
}

// A name that matches a switch after one dash and one other character
// ("-xweb.enable-lifecycle") is not that switch.
TEST_CASE("ParseFlags rejects a single-dash spelling of a boolean flag") {
  Parsed p = Parse({"-xweb.enable-lifecycle"});
  CHECK_FALSE(p.ok);
  CHECK_FALSE(p.flags.enable_lifecycle);
  CHECK(p.error == "unknown flag -xweb.enable-lifecycle (see metrics-adapter --help)");
}

TEST_CASE("HelpText lists every subcommand and the exit statuses") {
  const std::string usage = HelpText("");
  for (const char* word :
       {"  run ", "  once ", "  check ", "  test ", "  explain ", "  help ", "--log.level",
        "--log.format", "--version", "--help", "Exit status", "  2  usage"}) {
    CAPTURE(word);
    CHECK(usage.find(word) != std::string::npos);
  }
  CHECK(usage.ends_with("\n"));
  CHECK(HelpText("serve").empty());
}

TEST_CASE("HelpText of a subcommand shows its own flags only, and an example") {
  struct Case {
    const char* command;
    std::vector<const char*> has;
    std::vector<const char*> has_not;
  };
  const std::vector<Case> cases = {
      {"run",
       {"--config.file", "--web.listen-address", "--web.enable-lifecycle", "--web.enable-explain",
        "--web.config.file", "--config.watch-interval", ":9469"},
       {"--source"}},
      {"once", {"--config.file"}, {"--web.", "--config.watch-interval", "--source"}},
      {"check",
       {"--config.file", "--web.config.file"},
       {"--web.listen", "--web.enable", "--config.watch-interval", "--source"}},
      {"test", {"RULEFILE"}, {"--config.file", "--web.", "--source"}},
      {"explain", {"--config.file", "--source", "\"-\" reads stdin"}, {"--web.", "--config.w"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.command);
    const std::string text = HelpText(c.command);
    CHECK(text.starts_with("metrics-adapter " + std::string(c.command) + ": "));
    CHECK(text.find("\nExample:\n  metrics-adapter " + std::string(c.command)) !=
          std::string::npos);
    CHECK(text.find("--log.level") != std::string::npos);
    CHECK(text.find("Exit status") != std::string::npos);
    for (const char* word : c.has) {
      CAPTURE(word);
      CHECK(text.find(word) != std::string::npos);
    }
    for (const char* word : c.has_not) {
      CAPTURE(word);
      CHECK(text.find(word) == std::string::npos);
    }
  }
}

TEST_CASE("VersionText names the version, revision and compiler") {
  const std::string text = VersionText();
  CHECK(text.starts_with("metrics-adapter, version " METRICS_ADAPTER_VERSION " (revision: "));
  CHECK(text.find("compiler: ") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
