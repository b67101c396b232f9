// Runtime: everything one loaded config runs: the schema, the series store,
// and per source its rules, pipeline and tailer thread. Reload swaps in a
// new config without losing counts or file positions.
//
// Usage:
//   Diagnostics diags;
//   std::unique_ptr<Runtime> runtime = Runtime::Build(config, Runtime::Mode::kFollow, diags);
//   if (!runtime) { std::cerr << diags.Format(); return 1; }
//   runtime->Start();
//   std::string body = runtime->Exposition();
//   if (!runtime->Reload(new_config, diags)) { /* old config still runs */ }
//   runtime->Stop();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapter/config.h"
#include "adapter/diagnostics.h"
#include "adapter/file_tailer.h"
#include "adapter/self_metrics.h"
#include "adapter/series_store.h"
#include "adapter/source_pipeline.h"
#include "rules/schema.h"

namespace metrics_adapter {

class Runtime {
 public:
  enum class Mode {
    kFollow,  // tail files as they grow (the adapter's normal job)
    kOnce,    // read every file from its start to its end, then stop
    kCheck,   // load and check everything, open no file
  };

  // Loads every rule file of `config` and builds the sources. Returns null
  // after reporting every error to `diags`.
  static std::unique_ptr<Runtime> Build(const AdapterConfig& config, Mode mode, Diagnostics& diags);
  ~Runtime();

  // kFollow: starts one thread per source. Returns at once.
  void Start();
  // Stops and joins the source threads. Idempotent.
  void Stop();
  // kOnce: reads every source to its end, including unterminated last lines.
  void ReadOnce();

  // Replaces the running config with `config` if it and all its rule files
  // load without error; otherwise reports every error to `diags`, changes
  // nothing and returns false. Series whose family is unchanged keep their
  // values; a source whose type, parser and file options are unchanged keeps
  // its tailer and file positions and only switches rules; other sources are
  // stopped, started or replaced. Thread-safe; reloads are serialized.
  // `files_read`, if given, receives every rule and schema file the attempt
  // read, whether it succeeded or not.
  bool Reload(const AdapterConfig& config, Diagnostics& diags,
              std::vector<std::string>* files_read = nullptr);

  // The store's and the adapter's own metrics in the text format. Thread-safe.
  std::string Exposition() const;

  // Every file the running config was read from (config, rule and schema
  // files), for change detection. Thread-safe.
  std::vector<std::string> LoadedFiles() const;

  // The adapter's own metrics, for components that add to them.
  SelfMetrics& self() { return self_; }

  std::size_t rule_count() const;
  int family_count() const;

 private:
  struct Source {
    SourceConfig config;
    std::unique_ptr<SourcePipeline> pipeline;
    std::unique_ptr<FileTailer> tailer;
    std::jthread thread;
  };
  // A config with its rules loaded and checked, not yet running.
  struct Loaded {
    Schema schema;
    std::vector<std::shared_ptr<const RuleSet>> rule_sets;  // by source
    std::vector<std::string> files;
  };
  static std::optional<Loaded> Load(const AdapterConfig& config, Diagnostics& diags,
                                    std::vector<std::string>* files_read);

  explicit Runtime(Mode mode) : mode_(mode) {}
  std::unique_ptr<Source> MakeSource(const SourceConfig& config,
                                     std::shared_ptr<const RuleSet> rules);
  void StartSource(Source& source);

  const Mode mode_;
  mutable std::mutex mu_;  // guards everything below; reloads hold it throughout
  SelfMetrics self_;
  std::unique_ptr<SeriesStore> store_;
  std::string config_dir_;
  std::map<std::string, std::unique_ptr<Source>> sources_;
  std::vector<std::string> files_;
  std::size_t rule_count_ = 0;
  int family_count_ = 0;
  bool running_ = false;
};

}  // namespace metrics_adapter
