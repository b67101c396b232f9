#include "adapter/runtime/reloader.h"

#include <prometheus/family.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

namespace metrics_adapter {
namespace {

std::uint64_t HashFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;  // unreadable counts as a content of its own
  std::ostringstream content;
  content << in.rdbuf();
  return std::hash<std::string>{}(content.str()) | 1;  // never 0
}

prometheus::Family<prometheus::Counter>& ReloadsFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("metrics_adapter_config_reloads_total")
      .Help("Configuration reload attempts, by result.")
      .Register(registry);
}

prometheus::Gauge& NewGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

Reloader::Reloader(std::string config_path, Runtime& runtime, ReloadPart part)
    : config_path_(std::move(config_path)),
      runtime_(runtime),
      part_(std::move(part)),
      last_successful_(NewGauge(*runtime.self().registry(),
                                "metrics_adapter_config_last_reload_successful",
                                "Whether the last configuration reload attempt was successful.")),
      last_success_time_(
          NewGauge(*runtime.self().registry(),
                   "metrics_adapter_config_last_reload_success_timestamp_seconds",
                   "Timestamp of the last successful configuration load, in Unix seconds.")),
      successes_(ReloadsFamily(*runtime.self().registry()).Add({{"result", "success"}})),
      failures_(ReloadsFamily(*runtime.self().registry()).Add({{"result", "failure"}})) {
  // The config running now was loaded successfully just before.
  last_successful_.Set(1);
  last_success_time_.SetToCurrentTime();
  std::lock_guard<std::mutex> lock(mu_);
  watched_ = runtime_.LoadedFiles();
  if (part_.files) {
    for (std::string& path : part_.files()) watched_.push_back(std::move(path));
  }
  loaded_fingerprint_ = Fingerprint();
}

std::map<std::string, std::uint64_t> Reloader::Fingerprint() const {
  std::map<std::string, std::uint64_t> out;
  for (const std::string& path : watched_) out.emplace(path, HashFile(path));
  return out;
}

std::string Reloader::Reload(const std::string& trigger) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::map<std::string, std::uint64_t> before = Fingerprint();
  Diagnostics diags;
  std::vector<std::string> files_read = {config_path_};
  bool ok = false;
  // The part first: it is only read here, so refusing it leaves both running.
  std::function<void()> apply_part;
  if (part_.prepare) apply_part = part_.prepare(diags);
  if (!part_.prepare || apply_part) {
    if (std::optional<AdapterConfig> config = LoadConfig(config_path_, diags)) {
      ok = runtime_.Reload(*config, diags, &files_read);
    }
  }
  if (ok && apply_part) apply_part();
  // Watch what this attempt read, and what the running config was read
  // from: after a refused reload, fixing either must trigger the next one.
  std::set<std::string> watched(files_read.begin(), files_read.end());
  for (const std::string& path : runtime_.LoadedFiles()) watched.insert(path);
  if (part_.files) {
    for (const std::string& path : part_.files()) watched.insert(path);
  }
  watched_.assign(watched.begin(), watched.end());
  // A file that changed while this attempt read the files (a certificate
  // replaced just after its key) may not be in what was loaded: then the
  // fingerprint is not recorded, and the watcher tries again.
  std::map<std::string, std::uint64_t> after = Fingerprint();
  bool stable = true;
  for (const auto& [path, hash] : before) {
    if (auto it = after.find(path); it != after.end() && it->second != hash) stable = false;
  }
  if (!stable) after.clear();

  for (const Diagnostic& d : diags.all()) {
    if (d.severity == Severity::kWarning) spdlog::warn("{}", d.ToString());
  }
  if (!ok) {
    failures_.Increment();
    last_successful_.Set(0);
    failed_fingerprint_ = after;
    for (const Diagnostic& d : diags.all()) {
      if (d.severity == Severity::kError) spdlog::error("{}", d.ToString());
    }
    spdlog::error("reload ({}) refused: {} error(s); the previous configuration keeps running",
                  trigger, diags.error_count());
    return diags.Format();
  }
  successes_.Increment();
  last_successful_.Set(1);
  last_success_time_.SetToCurrentTime();
  loaded_fingerprint_ = after;
  failed_fingerprint_.clear();
  spdlog::info("reloaded configuration ({}): {} rule(s), {} metric families", trigger,
               runtime_.rule_count(), runtime_.family_count());
  return "";
}

void Reloader::Watch(std::stop_token stop, std::chrono::milliseconds interval) {
  std::mutex wait_mu;
  std::condition_variable_any wake;
  std::unique_lock<std::mutex> wait_lock(wait_mu);
  for (;;) {
    // Sleeps `interval`, waking early only for a stop request.
    wake.wait_for(wait_lock, stop, interval, [] { return false; });
    if (stop.stop_requested()) return;
    std::map<std::string, std::uint64_t> now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now = Fingerprint();
      // Unchanged since the last attempt. (Back to the running config after
      // a refused reload does reload, so the reload gauges turn healthy.)
      if (now == failed_fingerprint_) continue;
      if (now == loaded_fingerprint_ && failed_fingerprint_.empty()) continue;
    }
    Reload("a config or rule file changed");
  }
}

}  // namespace metrics_adapter
