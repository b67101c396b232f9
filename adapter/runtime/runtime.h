// Runtime: everything one loaded config runs, put together from its parts:
// LoadedConfig (rule files loaded and checked), StreamedSources (tailers and
// listeners, kept or replaced on reload), the series store they write, and
// a Scraper (pulled sources fetched at scrape time, then rendering). Reload
// swaps in a new config without losing counts or file positions.
//
// Usage:
//   Diagnostics diags;
//   std::unique_ptr<Runtime> runtime = Runtime::Build(config, RunMode::kFollow, diags);
//   if (!runtime) { std::cerr << diags.Format(); return 1; }
//   runtime->Start();
//   std::string body = runtime->Exposition();  // also scrapes the pulled sources
//   if (!runtime->Reload(new_config, diags)) { /* old config still runs */ }
//   runtime->Stop();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/config/config.h"
#include "adapter/pipeline/match_workers.h"
#include "adapter/runtime/loaded_config.h"
#include "adapter/runtime/position_saver.h"
#include "adapter/runtime/scraper.h"
#include "adapter/runtime/streamed_sources.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"

namespace metrics_adapter {

class Runtime {
 public:
  // Loads every rule file of `config` and builds the sources. Returns null
  // after reporting every error to `diags`. `threads`: how many threads
  // parse and match the lines of each streamed source (MatchWorkers; its
  // threads-1 helpers are shared by all sources); at least 1.
  static std::unique_ptr<Runtime> Build(const AdapterConfig& config, RunMode mode,
                                        Diagnostics& diags, std::size_t threads = 1);
  ~Runtime();

  // kFollow: starts the tailer threads and the listeners, and the periodic
  // save of the positions file if one is configured. Returns at once;
  // false after logging if a listener cannot bind.
  bool Start();
  // Stops and joins the tailer threads, closes the listeners, then saves
  // the positions file (kFollow, `positions:` configured) as written at a
  // clean shutdown. Idempotent.
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
  // renders them with the store and the adapter's own metrics in `format`.
  // Thread-safe.
  std::string Exposition(ExpositionFormat format = ExpositionFormat::kText) const;
  // The same, handed to `sink` in chunks while it renders (see the chunked
  // RenderExposition): what /metrics sends while the rest is written.
  void Exposition(ExpositionFormat format, std::size_t chunk_bytes,
                  const ExpositionSink& sink) const;

  // What the source's rules make of `input` (see ExplainInput), for the
  // debug endpoint. Returns nullopt for an unknown source. Thread-safe.
  std::optional<std::string> Explain(const std::string& source, std::string_view input) const;

  // Every source of the running config as (name, type), by name: what the
  // landing page lists. Thread-safe.
  std::vector<std::pair<std::string, std::string>> Sources() const;

  // Every file the running config was read from (config, rule and schema
  // files), for change detection. Thread-safe.
  std::vector<std::string> LoadedFiles() const;

  // The adapter's own metrics, for components that add to them.
  SelfMetrics& self() { return self_; }

  std::size_t rule_count() const;
  int family_count() const;

 private:
  Runtime(RunMode mode, std::size_t threads);
  // The one place rules change: the store switches schema and, under its
  // lock, every kept streamed source switches rules; then the pulled sources
  // and the explain registry are built anew. Under mu_.
  void SwapInLocked(const LoadedConfig& loaded, const SourcesByName& next,
                    std::size_t max_series_per_family, const std::string& config_dir);

  // Applies `config`'s positions: at the first load creates the saver
  // (kFollow); later, a change is logged as taking effect at restart.
  void ConfigurePositions(const AdapterConfig& config);

  const RunMode mode_;
  // The rule files' state tables, so a reload keeps those it leaves
  // unchanged (thread-safe itself).
  StatePool states_;
  mutable std::mutex mu_;  // guards everything below; reloads hold it throughout
  SelfMetrics self_;
  std::unique_ptr<PositionSaver> positions_;  // outlives the streamed sources' tailers
  std::unique_ptr<SeriesStore> store_;        // what the streamed sources write
  MatchWorkers workers_;                      // outlives the streamed sources' pipelines
  std::shared_ptr<const Schema> schema_;
  StreamedSources streamed_;
  std::shared_ptr<const Scraper> scraper_;
  // Every source by name, streamed or pulled: what `explain` runs.
  std::map<std::string, LoadedSource> explainable_;
  std::vector<std::string> files_;
  std::size_t rule_count_ = 0;
};

}  // namespace metrics_adapter
