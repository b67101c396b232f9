// Runtime: everything one loaded config runs: the schema, the series store,
// and per source its rules, pipeline and tailer thread.
//
// Usage:
//   Diagnostics diags;
//   std::unique_ptr<Runtime> runtime = Runtime::Build(config, Runtime::Mode::kFollow, diags);
//   if (!runtime) { std::cerr << diags.Format(); return 1; }
//   runtime->Start();
//   std::string body = runtime->Exposition();
//   runtime->Stop();
#pragma once

#include <memory>
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
  static std::unique_ptr<Runtime> Build(const AdapterConfig& config, Mode mode,
                                        Diagnostics& diags);
  ~Runtime();

  // kFollow: starts one thread per source. Returns at once.
  void Start();
  // Stops and joins the source threads. Idempotent.
  void Stop();
  // kOnce: reads every source to its end, including unterminated last lines.
  void ReadOnce();

  // The store's and the adapter's own metrics in the text format. Thread-safe.
  std::string Exposition() const;
  // Only the series the rules wrote, for rule tests and `once`.
  std::string RuleExposition() const;

  const Schema& schema() const { return schema_; }
  std::size_t rule_count() const { return rule_count_; }

 private:
  struct Source {
    std::unique_ptr<SourcePipeline> pipeline;
    std::unique_ptr<FileTailer> tailer;
  };
  Runtime() = default;

  Schema schema_;
  std::unique_ptr<SeriesStore> store_;
  SelfMetrics self_;
  std::vector<Source> sources_;
  std::vector<std::jthread> threads_;
  std::size_t rule_count_ = 0;
};

}  // namespace metrics_adapter
