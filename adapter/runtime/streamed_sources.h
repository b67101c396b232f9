// StreamedSources: the running set of sources whose input streams in
// (`file` through a tailer thread, `udp` and `tcp_listener` through a
// listener), and its change on reload. A source whose type, parser and input
// options are unchanged keeps its input (file positions, a bound socket) and
// only switches rules; any other change replaces it.
//
// A reload goes in three steps, so nothing ever writes with family indices
// of a schema no longer in force:
//   sources.RemoveChanged(next);             // stopped before the schema changes
//   store.Reconfigure(schema, max, [&] { sources.SwapRulesLocked(next); });
//   sources.AddNew(next, store, self, dir);  // started if the set is running
//
// Not thread-safe: the Runtime serializes every call.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "adapter/pipeline/match_workers.h"
#include "adapter/runtime/loaded_config.h"
#include "adapter/sources/positions.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"

namespace metrics_adapter {

// What the program is run for; it decides what a streamed source opens.
enum class RunMode {
  kFollow,  // tail files, listen, scrape on request (the adapter's normal job)
  kOnce,    // read every file from its start to its end, then stop
  kCheck,   // load and check everything, open no file and no socket
};

// The next config's sources by name (pointing into a LoadedConfig).
using SourcesByName = std::map<std::string, const LoadedSource*>;

class StreamedSources {
 public:
  // `workers`, if not null, must outlive the set: the pipelines match
  // streamed lines on its threads.
  explicit StreamedSources(RunMode mode, MatchWorkers* workers = nullptr);
  ~StreamedSources();
  StreamedSources(const StreamedSources&) = delete;
  StreamedSources& operator=(const StreamedSources&) = delete;

  // Stops and removes every source that `next` drops or changes in shape.
  void RemoveChanged(const SourcesByName& next);
  // Gives every remaining source its rules (and config) from `next`. Call
  // only under the store's lock, inside SeriesStore::Reconfigure's
  // under_lock: pipelines read their rules only under that lock.
  void SwapRulesLocked(const SourcesByName& next);
  // Creates the streamed sources of `next` not yet in the set, writing into
  // `store`; starts them if the set is running. `config_dir` is what
  // rule-file paths are shown relative to. A listener that cannot bind is
  // logged and left stopped. `positions`, if not null, must outlive the
  // set: file sources resume from it and commit to it.
  void AddNew(const SourcesByName& next, SeriesStore* store, SelfMetrics& self,
              const std::string& config_dir, Positions* positions = nullptr);

  // Starts every tailer thread and listener, and returns once every tailer
  // has opened its files (or a few seconds passed); false after logging if a
  // listener cannot bind (the others still start).
  bool Start();
  // Stops and joins every tailer thread, closes the listeners. Idempotent.
  void Stop();
  // kOnce: reads every file to its end, unterminated last lines included.
  void ReadOnce();

 private:
  struct Source;
  bool StartSource(Source& source);
  // Waits, together at most kFirstPassWait, for every tailer's first pass
  // (FileTailer::WaitFirstPass), so that Start() returning means the files
  // are open; warns for a tailer still walking (a slow or huge directory).
  void WaitFirstPasses();

  const RunMode mode_;
  MatchWorkers* const workers_;
  std::map<std::string, std::unique_ptr<Source>> sources_;
  bool running_ = false;
};

}  // namespace metrics_adapter
