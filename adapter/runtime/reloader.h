// Reloader re-reads the config file and its rule files and swaps them into
// the running Runtime, for every trigger: SIGHUP, POST /-/reload (with
// --web.enable-lifecycle) and a change on disk, including the way Kubernetes
// updates a mounted ConfigMap (an atomic swap of its `..data` symlink, which
// changes what the same path reads, not the path's own mtime).
//
// A config that does not load is refused with all its errors logged; the old
// one keeps running. The outcome is exported as
// metrics_adapter_config_last_reload_successful,
// metrics_adapter_config_last_reload_success_timestamp_seconds and
// metrics_adapter_config_reloads_total{result}; a ReloadPart is counted
// with it.
//
// Usage:
//   Reloader reloader(flags.config_file, *runtime);
//   std::jthread watch([&](std::stop_token st) { reloader.Watch(st, std::chrono::seconds(5)); });
//   std::string error = reloader.Reload("SIGHUP");  // "" on success
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "adapter/runtime/runtime.h"

namespace metrics_adapter {

// Another set of files reloaded with the config (the web config): a change
// to one of them triggers a reload too, and a reload applies the config and
// the part together or neither.
struct ReloadPart {
  // The files to watch, asked again after each reload.
  std::function<std::vector<std::string>()> files;
  // Reads and checks them, reporting to the diagnostics; returns what applies
  // them (run only when the config loads too), or an empty function when
  // they are refused.
  std::function<std::function<void()>(Diagnostics&)> prepare;
};

class Reloader {
 public:
  Reloader(std::string config_path, Runtime& runtime, ReloadPart part = {});

  // Loads the config and applies it. Returns "" on success, else every
  // diagnostic (also logged). `trigger` names the cause in the log.
  // Thread-safe; concurrent calls are serialized.
  std::string Reload(const std::string& trigger);

  // Checks the loaded files' contents every `interval` and reloads when one
  // changed. A content that failed to load is not retried until it changes
  // again. Returns promptly when `stop` is requested.
  void Watch(std::stop_token stop, std::chrono::milliseconds interval);

 private:
  // Hash of every file's content (or of the error reading it), by path.
  std::map<std::string, std::uint64_t> Fingerprint() const;

  std::string config_path_;
  Runtime& runtime_;
  ReloadPart part_;
  std::mutex mu_;
  std::vector<std::string> watched_;                         // files whose change triggers
  std::map<std::string, std::uint64_t> loaded_fingerprint_;  // of the running config
  std::map<std::string, std::uint64_t> failed_fingerprint_;  // of the last refused one
  prometheus::Gauge& last_successful_;
  prometheus::Gauge& last_success_time_;
  prometheus::Counter& successes_;
  prometheus::Counter& failures_;
};

}  // namespace metrics_adapter
