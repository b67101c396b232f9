// metrics-adapter: the adapter container beside a legacy application. See
// HelpText() in flags.cc for the subcommands, their flags and exit codes.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "adapter/base/build_info.h"
#include "adapter/cli/flags.h"
#include "adapter/cli/logging.h"
#include "adapter/cli/malloc_tuning.h"
#include "adapter/cli/rule_tests.h"
#include "adapter/cli/rules_command.h"
#include "adapter/config/config.h"
#include "adapter/exposition/exposition.h"
#include "adapter/exposition/format_negotiation.h"
#include "adapter/pipeline/explain.h"
#include "adapter/pipeline/input_driver.h"
#include "adapter/runtime/cpu_budget.h"
#include "adapter/runtime/reloader.h"
#include "adapter/runtime/runtime.h"
#include "adapter/sources/fd_budget.h"
#include "adapter/web/http_server.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

// How many threads parse and match streamed lines: --pipeline.threads, else
// what the CPU limit allows.
std::size_t PipelineThreads(const Flags& flags, RunMode mode) {
  if (mode == RunMode::kCheck) return 1;
  const std::size_t threads =
      flags.pipeline_threads > 0 ? static_cast<std::size_t>(flags.pipeline_threads) : CpusAllowed();
  spdlog::debug("streamed lines are parsed and matched on {} thread(s)", threads);
  return threads;
}

// Loads the config and builds the runtime, printing every diagnostic.
// ParseFlags made sure --config.file is set.
std::unique_ptr<Runtime> Load(const Flags& flags, RunMode mode, AdapterConfig* config) {
  Diagnostics diags;
  std::optional<AdapterConfig> loaded = LoadConfig(flags.config_file, diags);
  std::unique_ptr<Runtime> runtime;
  if (loaded) runtime = Runtime::Build(*loaded, mode, diags, PipelineThreads(flags, mode));
  std::cerr << diags.Format();
  if (!runtime) {
    std::cerr << "metrics-adapter: " << diags.error_count() << " error(s) in " << flags.config_file
              << " and its rule files\n";
    return nullptr;
  }
  *config = std::move(*loaded);
  return runtime;
}

// The web config of --web.config.file, when given, printing every diagnostic.
// Sets *ok to false when it does not load.
std::unique_ptr<WebSecurity> LoadWebSecurity(const Flags& flags, bool* ok) {
  *ok = true;
  if (flags.web_config_file.empty()) return nullptr;
  Diagnostics diags;
  std::unique_ptr<WebSecurity> web = WebSecurity::Load(flags.web_config_file, diags);
  std::cerr << diags.Format();
  if (!web) {
    std::cerr << "metrics-adapter: " << diags.error_count() << " error(s) in "
              << flags.web_config_file << "\n";
    *ok = false;
  }
  return web;
}

int Check(const Flags& flags) {
  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, RunMode::kCheck, &config);
  bool web_ok = true;
  LoadWebSecurity(flags, &web_ok);
  if (!runtime || !web_ok) return kExitFailure;
  std::size_t rule_files = 0;
  for (const SourceConfig& source : config.sources) rule_files += source.rule_files.size();
  std::cout << flags.config_file << ": OK: " << config.sources.size() << " source(s), "
            << rule_files << " rule file(s), " << runtime->rule_count() << " rule(s), "
            << runtime->family_count() << " metric families\n";
  return kExitOk;
}

int Once(const Flags& flags) {
  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, RunMode::kOnce, &config);
  if (!runtime) return kExitFailure;
  runtime->ReadOnce();
  std::cout << runtime->Exposition();
  return kExitOk;
}

// Blocks the signals Run waits for. Called before any thread starts, so that
// every thread inherits the mask and the signals all reach WaitForShutdown.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// What the server answers: /metrics, readiness once `started`, and reload and
// explain when the flags turn them on.
HttpHandlers ServingHandlers(const Flags& flags, Runtime& runtime, Reloader& reloader,
                             const std::atomic<bool>& started) {
  HttpHandlers handlers;
  handlers.metrics = [&runtime](std::string_view accept, MetricsBody& body) {
    const NegotiatedFormat chosen = NegotiateFormat(accept);
    body.SetContentType(std::string(chosen.content_type));
    // Sent while it renders: see README.md, "Large scrapes".
    runtime.Exposition(chosen.format, kExpositionChunkBytes, [&body](std::string chunk, bool last) {
      body.Write(std::move(chunk), last);
    });
  };
  // Ready once every source's tailer runs; until then a scrape would see
  // counters that are about to jump.
  handlers.ready = [&started] { return started.load(); };
  if (flags.enable_lifecycle) {
    handlers.reload = [&reloader] { return reloader.Reload("POST /-/reload"); };
  }
  if (flags.enable_explain) {
    handlers.explain = [&runtime](const std::string& source, std::string_view input) {
      return runtime.Explain(source, input);
    };
  }
  handlers.sources = [&runtime] {
    std::vector<HttpSourceInfo> sources;
    for (auto& [name, type] : runtime.Sources()) sources.push_back({name, type});
    return sources;
  };
  return handlers;
}

// The server's limits from the flags, and its reports into the self metrics.
HttpServerOptions ServingOptions(const Flags& flags, SelfMetrics& self) {
  HttpServerOptions options;
  options.telemetry_path = flags.telemetry_path;
  options.max_requests = flags.max_requests;
  options.max_connections = flags.max_connections;
  options.read_timeout = flags.read_timeout;
  SelfMetrics::HttpMetrics& metrics = self.Http();
  options.observer.request_done = [&metrics](std::string_view handler, int code) {
    metrics.requests->Add({{"handler", std::string(handler)}, {"code", std::to_string(code)}})
        .Increment();
  };
  options.observer.in_flight = [&metrics](int delta) { metrics.in_flight->Increment(delta); };
  options.observer.connection_dropped = [&metrics](std::string_view reason) {
    metrics.connections_dropped->Add({{"reason", std::string(reason)}}).Increment();
  };
  options.observer.scrape_rejected = [&metrics] { metrics.scrapes_rejected->Increment(); };
  return options;
}

// Returns on SIGTERM or SIGINT (of `signals`, blocked); reloads on SIGHUP.
void WaitForShutdown(const sigset_t& signals, Reloader& reloader) {
  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      reloader.Reload("SIGHUP");
      continue;
    }
    spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    return;
  }
}

int Run(const Flags& flags) {
  BoundMallocCaches();  // before any thread starts
  const sigset_t signals = BlockShutdownSignals();
  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, RunMode::kFollow, &config);
  bool web_ok = true;
  std::unique_ptr<WebSecurity> web = LoadWebSecurity(flags, &web_ok);
  if (!runtime || !web_ok) return kExitFailure;
  const std::string address =
      flags.listen_address.empty() ? config.listen_address : flags.listen_address;

  std::atomic<bool> started{false};
  ReloadPart web_part;
  if (web) {
    web_part.files = [&web] { return web->Files(); };
    web_part.prepare = [&web](Diagnostics& diags) { return web->PrepareReload(diags); };
  }
  Reloader reloader(flags.config_file, *runtime, std::move(web_part));
  std::string error;
  HttpServerOptions options = ServingOptions(flags, runtime->self());
  options.security = web.get();
  std::unique_ptr<HttpServer> server = HttpServer::Start(
      address, ServingHandlers(flags, *runtime, reloader, started), std::move(options), &error);
  if (!server) {
    spdlog::error("cannot serve metrics: {}", error);
    return kExitFailure;
  }
  // Each of the server's workers serves one connection: their descriptors
  // are kept from what followed files may take (fd_budget.h), before any
  // source starts.
  FdBudget::Process().Reserve(static_cast<std::size_t>(flags.max_connections));
  if (!runtime->Start()) return kExitFailure;
  started = true;
  std::jthread watcher;
  if (flags.watch_interval.count() > 0) {
    watcher = std::jthread([&reloader, interval = flags.watch_interval](std::stop_token stop) {
      reloader.Watch(stop, interval);
    });
  }
  spdlog::info("metrics-adapter {} (revision {}) serving {} on {} (port {}){}, {} source(s)",
               GetBuildInfo().version, GetBuildInfo().revision, flags.telemetry_path, address,
               server->port(), web && web->tls() ? " over TLS" : "", config.sources.size());

  WaitForShutdown(signals, reloader);
  server.reset();  // stop serving (and reloading over HTTP) before the runtime goes away
  watcher = std::jthread();
  runtime->Stop();
  return kExitOk;
}

int ExplainCommand(const Flags& flags) {
  std::vector<std::string> args = flags.args;
  // Groups of rule files (a rule file, or each source of a config), by the
  // name to show for them, in the source they stand for (its framing and
  // multiline; a rule file's is no source's: framed as a response body).
  struct RuleGroup {
    std::string name;
    SourceConfig source;
  };
  std::vector<RuleGroup> rule_groups;
  Diagnostics diags;
  if (!flags.config_file.empty()) {
    if (std::optional<AdapterConfig> config = LoadConfig(flags.config_file, diags)) {
      for (const SourceConfig& source : config->sources) {
        if (flags.source.empty() || flags.source == source.name) {
          rule_groups.push_back({"source " + source.name, source});
        }
      }
    }
  } else if (!args.empty()) {
    rule_groups.push_back({"rule file " + args.front(), {.rule_files = {args.front()}}});
    args.erase(args.begin());
  }
  // ParseFlags made sure of a rule file or --config.file, and of inputs.
  if (rule_groups.empty() && !diags.HasErrors()) {
    std::cerr << "metrics-adapter: " << flags.config_file
              << (flags.source.empty() ? " has no sources"
                                       : " has no source named \"" + flags.source + "\"")
              << " (see metrics-adapter explain --help)\n";
    return kExitUsage;
  }
  Schema schema;
  std::vector<std::shared_ptr<const RuleSet>> rule_sets;
  std::vector<ParserChoice> parsers;
  for (const RuleGroup& group : rule_groups) {
    RuleFiles loaded = LoadRuleFiles(group.source.rule_files, schema, diags);
    rule_sets.push_back(loaded.rule_set);
    parsers.push_back(loaded.parser ? *loaded.parser : DefaultParserChoice());
  }
  if (diags.HasErrors()) {
    std::cerr << diags.Format();
    return kExitFailure;
  }
  // Each argument is one unit of input: a line, or a whole body for body
  // parsers ("-" reads stdin: its lines, or all of it as one body).
  std::string stdin_text;
  if (std::find(args.begin(), args.end(), "-") != args.end()) {
    stdin_text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  for (std::size_t i = 0; i < rule_groups.size(); ++i) {
    if (rule_groups.size() > 1) std::cout << "== " << rule_groups[i].name << "\n";
    for (const std::string& arg : args) {
      const SourceConfig& source = rule_groups[i].source;
      std::cout << ExplainInput(*rule_sets[i], schema, parsers[i], FramingFor(source),
                                arg == "-" ? stdin_text : arg, MultilineFor(source));
    }
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, &flags, &error)) {
    std::cerr << "metrics-adapter: " << error << "\n";
    return kExitUsage;
  }
  if (flags.help) {
    std::cout << HelpText(flags.help_topic);
    return kExitOk;
  }
  if (flags.version) {
    std::cout << VersionText();
    return kExitOk;
  }
  if (!SetUpLogging(flags.log_level, flags.log_format, &error)) {
    std::cerr << "metrics-adapter: " << error << "\n";
    return kExitUsage;
  }
  if (flags.command == "test") {
    return RunRuleTests(flags.args, std::cout) == 0 ? kExitOk : kExitFailure;
  }
  if (flags.command == "explain") return ExplainCommand(flags);
  if (flags.command == "rules") return RulesFromLogFormat(flags, std::cout, std::cerr);
  if (flags.command == "check") return Check(flags);
  if (flags.command == "once") return Once(flags);
  return Run(flags);
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) { return metrics_adapter::Main(argc, argv); }
