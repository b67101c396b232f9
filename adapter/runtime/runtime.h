// Runtime: everything one loaded config runs: the schema, the series store,
// and per source its parser, rules and input: a tailer thread (`file`), a
// listener (`udp`, `tcp_listener`) or a fetch at each scrape (`http`, `tcp`).
// Reload swaps in a new config without losing counts or file positions.
//
// Usage:
//   Diagnostics diags;
//   std::unique_ptr<Runtime> runtime = Runtime::Build(config, Runtime::Mode::kFollow, diags);
//   if (!runtime) { std::cerr << diags.Format(); return 1; }
//   runtime->Start();
//   std::string body = runtime->Exposition();  // also scrapes the pulled sources
//   if (!runtime->Reload(new_config, diags)) { /* old config still runs */ }
//   runtime->Stop();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/config/config.h"
#include "adapter/pipeline/pull_source.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/file_tailer.h"
#include "adapter/sources/line_listener.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "rules/schema.h"

namespace metrics_adapter {

class Runtime {
 public:
  enum class Mode {
    kFollow,  // tail files, listen, scrape on request (the adapter's normal job)
    kOnce,    // read every file from its start to its end, then stop
    kCheck,   // load and check everything, open no file and no socket
  };

  // Loads every rule file of `config` and builds the sources. Returns null
  // after reporting every error to `diags`.
  static std::unique_ptr<Runtime> Build(const AdapterConfig& config, Mode mode, Diagnostics& diags);
  ~Runtime();

  // kFollow: starts the tailer threads and the listeners. Returns at once;
  // false after logging if a listener cannot bind.
  bool Start();
  // Stops and joins the tailer threads, closes the listeners. Idempotent.
  void Stop();
  // kOnce: reads every file source to its end, including unterminated last lines.
  void ReadOnce();

  // Replaces the running config with `config` if it and all its rule files
  // load without error; otherwise reports every error to `diags`, changes
  // nothing and returns false. Series whose family is unchanged keep their
  // values; a source whose type, parser and input options are unchanged
  // keeps its tailer (file positions) or listener and only switches rules;
  // other sources are stopped, started or replaced. `files_read`, if given,
  // receives every file the attempt read. Thread-safe; reloads are serialized.
  bool Reload(const AdapterConfig& config, Diagnostics& diags,
              std::vector<std::string>* files_read = nullptr);

  // Scrapes the pulled sources (in parallel, each under its timeout) and
  // renders them with the store and the adapter's own metrics. Thread-safe.
  std::string Exposition() const;

  // What the source's rules make of `input` (see ExplainInput), for the
  // debug endpoint. Returns nullopt for an unknown source. Thread-safe.
  std::optional<std::string> Explain(const std::string& source, std::string_view input) const;

  // Every file the running config was read from (config, rule and schema
  // files), for change detection. Thread-safe.
  std::vector<std::string> LoadedFiles() const;

  // The adapter's own metrics, for components that add to them.
  SelfMetrics& self() { return self_; }

  std::size_t rule_count() const;
  int family_count() const;

 private:
  // A streamed source: lines from a tailer thread or a listener.
  struct Source;
  // A config with its rules loaded and checked, not yet running.
  struct Loaded {
    std::shared_ptr<const Schema> schema;
    std::vector<std::shared_ptr<const RuleSet>> rule_sets;  // by source
    std::vector<ParserChoice> parsers;                      // by source
    std::vector<std::string> files;
  };
  static std::optional<Loaded> Load(const AdapterConfig& config, Diagnostics& diags,
                                    std::vector<std::string>* files_read);

  explicit Runtime(Mode mode);
  std::unique_ptr<Source> MakeSource(const SourceConfig& config, const ParserChoice& parser,
                                     std::shared_ptr<const RuleSet> rules);
  bool StartSource(Source& source);

  const Mode mode_;
  mutable std::mutex mu_;  // guards everything below; reloads hold it throughout
  SelfMetrics self_;
  std::unique_ptr<SeriesStore> store_;
  std::shared_ptr<const Schema> schema_;
  std::size_t max_series_per_family_ = kDefaultMaxSeriesPerFamily;
  std::string config_dir_;
  std::map<std::string, std::unique_ptr<Source>> sources_;
  std::vector<std::shared_ptr<PullSource>> pulls_;
  struct Explainable {
    ParserChoice parser;
    LineFramer::Options framing;  // the source's, so explain frames as it does
    std::shared_ptr<const RuleSet> rules;
  };
  std::map<std::string, Explainable> explainable_;  // every source, by name
  std::vector<std::string> files_;
  std::size_t rule_count_ = 0;
  bool running_ = false;
};

}  // namespace metrics_adapter
