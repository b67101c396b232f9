// metrics-adapter: the adapter container beside a legacy application. See
// UsageText() in flags.cc for the subcommands.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "adapter/config.h"
#include "adapter/exposition.h"
#include "adapter/flags.h"
#include "adapter/http_server.h"
#include "adapter/logging.h"
#include "adapter/reloader.h"
#include "adapter/rule_tests.h"
#include "adapter/runtime.h"

namespace metrics_adapter {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Loads the config and builds the runtime, printing every diagnostic.
std::unique_ptr<Runtime> Load(const Flags& flags, Runtime::Mode mode, AdapterConfig* config) {
  if (flags.config_file.empty()) {
    std::cerr << "metrics-adapter: --config.file is required (see --help)\n";
    return nullptr;
  }
  Diagnostics diags;
  std::optional<AdapterConfig> loaded = LoadConfig(flags.config_file, diags);
  std::unique_ptr<Runtime> runtime;
  if (loaded) runtime = Runtime::Build(*loaded, mode, diags);
  std::cerr << diags.Format();
  if (!runtime) {
    std::cerr << "metrics-adapter: " << diags.error_count() << " error(s) in " << flags.config_file
              << " and its rule files\n";
    return nullptr;
  }
  *config = std::move(*loaded);
  return runtime;
}

int Check(const Flags& flags) {
  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, Runtime::Mode::kCheck, &config);
  if (!runtime) return kExitFailure;
  std::size_t rule_files = 0;
  for (const SourceConfig& source : config.sources) rule_files += source.rule_files.size();
  std::cout << flags.config_file << ": OK: " << config.sources.size() << " source(s), "
            << rule_files << " rule file(s), " << runtime->rule_count() << " rule(s), "
            << runtime->family_count() << " metric families\n";
  return kExitOk;
}

int Once(const Flags& flags) {
  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, Runtime::Mode::kOnce, &config);
  if (!runtime) return kExitFailure;
  runtime->ReadOnce();
  std::cout << runtime->Exposition();
  return kExitOk;
}

int Run(const Flags& flags) {
  // Block the signals we wait for before any thread starts, so every thread
  // inherits the mask and they all reach sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  AdapterConfig config;
  std::unique_ptr<Runtime> runtime = Load(flags, Runtime::Mode::kFollow, &config);
  if (!runtime) return kExitFailure;
  const std::string address =
      flags.listen_address.empty() ? config.listen_address : flags.listen_address;

  HttpHandlers handlers;
  handlers.metrics = [&runtime] {
    return std::make_pair(runtime->Exposition(), std::string(kTextContentType));
  };
  // Ready once every source's tailer runs; until then a scrape would see
  // counters that are about to jump.
  std::atomic<bool> started{false};
  handlers.ready = [&started] { return started.load(); };
  Reloader reloader(flags.config_file, *runtime);
  if (flags.enable_lifecycle) {
    handlers.reload = [&reloader] { return reloader.Reload("POST /-/reload"); };
  }
  std::string error;
  std::unique_ptr<HttpServer> server = HttpServer::Start(address, std::move(handlers), &error);
  if (!server) {
    spdlog::error("cannot serve metrics: {}", error);
    return kExitFailure;
  }
  runtime->Start();
  started = true;
  std::jthread watcher;
  if (flags.watch_interval.count() > 0) {
    watcher = std::jthread([&reloader, interval = flags.watch_interval](std::stop_token stop) {
      reloader.Watch(stop, interval);
    });
  }
  spdlog::info("metrics-adapter {} serving /metrics on {} (port {}), {} source(s)",
               METRICS_ADAPTER_VERSION, address, server->port(), config.sources.size());

  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      reloader.Reload("SIGHUP");
      continue;
    }
    spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  server.reset();  // stop serving (and reloading over HTTP) before the runtime goes away
  watcher = std::jthread();
  runtime->Stop();
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
    std::cout << UsageText();
    return kExitOk;
  }
  if (flags.version) {
    std::cout << "metrics-adapter " << METRICS_ADAPTER_VERSION << "\n";
    return kExitOk;
  }
  if (!SetUpLogging(flags.log_level, flags.log_format, &error)) {
    std::cerr << "metrics-adapter: " << error << "\n";
    return kExitUsage;
  }
  if (flags.command == "test") {
    if (flags.args.empty()) {
      std::cerr << "metrics-adapter: test needs one or more rule files\n";
      return kExitUsage;
    }
    return RunRuleTests(flags.args, std::cout) == 0 ? kExitOk : kExitFailure;
  }
  if (!flags.args.empty()) {
    std::cerr << "metrics-adapter: unexpected argument " << flags.args.front() << "\n";
    return kExitUsage;
  }
  if (flags.command == "check") return Check(flags);
  if (flags.command == "once") return Once(flags);
  return Run(flags);
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) { return metrics_adapter::Main(argc, argv); }
