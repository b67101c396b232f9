// SelfMetrics: the adapter's own metrics, under the metrics_adapter_ prefix,
// in base units, `_total` on counters and a `reason` label on error counters.
//
// The hot path does not touch these per line: pipelines count in plain
// integers and add the batch's totals here once per chunk.
//
// A serving adapter also exposes its process's metrics (process_*, see
// process_metrics.h), read at each scrape; `once` output leaves them out.
//
// Usage:
//   SelfMetrics self(SelfMetrics::kWithProcess);
//   SourceMetrics& m = self.ForSource("nginx_access");
//   m.lines_read->Increment(1200);
//   const CollectableExposable exposable(self);  // what a scrape shows
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapter/store/process_metrics.h"

namespace metrics_adapter {

struct SourceMetrics {
  prometheus::Counter* lines_read;
  prometheus::Counter* bytes_read;
  prometheus::Counter* lines_unmatched;
  prometheus::Counter* lines_too_long;
  prometheus::Counter* invalid_utf8;
  prometheus::Counter* invalid_values;
};

// What only a file source counts: its tailer's file events. Other source
// types do not show these series at all (a 0 would claim a rotation count).
struct FileSourceMetrics {
  prometheus::Counter* read_errors;
  prometheus::Counter* rotations_rename;    // the path now names another file
  prometheus::Counter* rotations_truncate;  // copytruncate or rewritten in place
  prometheus::Counter* files_deleted;
};

// Thread-safe.
class SelfMetrics final : public prometheus::Collectable {
 public:
  enum Process { kWithoutProcess, kWithProcess };
  explicit SelfMetrics(Process process = kWithoutProcess);
  // Where the adapter's own families are registered (components add theirs).
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The registry's families, then the process's (with kWithProcess).
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The metrics of one source, of any type, created on first use; the
  // reference stays valid.
  SourceMetrics& ForSource(const std::string& source);
  // The file events of one file source, created on first use (called for
  // every file source when it is set up, so they read 0 from the start);
  // the reference stays valid.
  FileSourceMetrics& ForFileSource(const std::string& source);
  // Matches of one rule of one source.
  prometheus::Counter* RuleMatches(const std::string& source, const std::string& rule_file,
                                   const std::string& rule);
  // Input a parser could not read, by reason (a parser's fixed set).
  prometheus::Counter* ParseErrors(const std::string& source, const std::string& reason);
  // Lines or packets a listener dropped, by reason.
  prometheus::Counter* Dropped(const std::string& source, const std::string& reason);
  // Updates a rule expression skipped, by reason (division_by_zero,
  // invalid_time, no_value, ...; see rules/expression/value.h).
  prometheus::Counter* UpdateErrors(const std::string& source, const std::string& reason);
  // Files a file source did not open, by reason (not_regular, symlink,
  // max_files, fd_budget).
  prometheus::Counter* FilesSkipped(const std::string& source, const std::string& reason);
  // Multi-line records cut at a limit, by reason (max_lines, max_bytes).
  prometheus::Counter* RecordsCut(const std::string& source, const std::string& reason);
  // Multi-line records begun by a line that would have joined one.
  prometheus::Counter* RecordsWithoutStart(const std::string& source);
  // A pulled source's gauges: whether its last scrape worked, how long it
  // took. Held by each PullSource of that name (a reload builds the new one
  // while a scrape may still use the old); the series leave the exposition
  // when the last holder releases them, so a source removed from the config
  // does not leave its `up` behind at its last value.
  // `labels`: the source's constant labels (its `labels:` in the config),
  // on these two gauges as on its series, so an alert on `up` says which
  // service is down; a label named `source` is left out. Holders are counted
  // by source and labels: a reload that changes the labels shows the new
  // series and drops the old one once the old source is released.
  struct PulledGauges {
    prometheus::Gauge* up;
    prometheus::Gauge* duration;
  };
  using Labels = std::map<std::string, std::string>;
  PulledGauges AcquirePulled(const std::string& source, const Labels& labels = {});
  void ReleasePulled(const std::string& source, const Labels& labels = {});
  // Why a pulled source's scrapes failed.
  prometheus::Counter* ScrapeErrors(const std::string& source, const std::string& reason);
  // A file source's gauges, set after each scan of its tailer: the files it
  // follows, the bytes written to them and not read yet.
  struct TailerGauges {
    prometheus::Gauge* files;
    prometheus::Gauge* lag_bytes;
  };
  TailerGauges ForTailer(const std::string& source);
  // A file source's gauges once it first had more matching files than it
  // could follow: how many are waiting for a slot, and the slots it had.
  struct TailerLimitGauges {
    prometheus::Gauge* skipped;
    prometheus::Gauge* limit;
  };
  TailerLimitGauges ForTailerLimit(const std::string& source);
  // Takes a file source's tailer gauges out of the exposition, when the
  // source stops (removed or replaced by a reload: its replacement sets them
  // again at its first scan), so no stale file count stays behind.
  void RemoveTailer(const std::string& source);
  // When a streamed source last read a line, as a Unix timestamp in seconds.
  prometheus::Gauge* LastRead(const std::string& source);

  // The positions file's metrics, registered on first use (only an adapter
  // with `positions:` shows them).
  struct PositionsMetrics {
    prometheus::Counter* writes;        // saves that succeeded
    prometheus::Counter* write_errors;  // saves that failed
    prometheus::Counter* load_errors;   // a positions file that could not be read
    // Files resumed at a saved offset, by source and shutdown ("clean" or
    // "unclean": the save was made by the timer, so a re-read is possible).
    prometheus::Family<prometheus::Counter>* resumed_files;
    // Saved positions not used: the file was replaced or truncated meanwhile.
    prometheus::Family<prometheus::Counter>* replaced_files;
  };
  PositionsMetrics& Positions();

  // The HTTP server's metrics, registered on first use (only a running
  // adapter shows them, not `once`).
  struct HttpMetrics {
    // Requests answered, by handler (the endpoint's path, or "other") and
    // status code.
    prometheus::Family<prometheus::Counter>* requests;
    prometheus::Gauge* in_flight;  // requests being answered now
    // Connections closed without an answer, or whose body was cut at the
    // read timeout, by reason.
    prometheus::Family<prometheus::Counter>* connections_dropped;
    // Scrapes answered 503 because --web.max-requests renders were running.
    prometheus::Counter* scrapes_rejected;
  };
  HttpMetrics& Http();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<const ProcessMetrics> process_;  // null: kWithoutProcess
  prometheus::Family<prometheus::Counter>& lines_read_;
  prometheus::Family<prometheus::Counter>& bytes_read_;
  prometheus::Family<prometheus::Counter>& lines_unmatched_;
  prometheus::Family<prometheus::Counter>& lines_skipped_;
  prometheus::Family<prometheus::Counter>& invalid_utf8_;
  prometheus::Family<prometheus::Counter>& update_errors_;
  prometheus::Family<prometheus::Counter>& read_errors_;
  prometheus::Family<prometheus::Counter>& rotations_;
  prometheus::Family<prometheus::Counter>& deletions_;
  prometheus::Family<prometheus::Counter>& rule_matches_;
  prometheus::Family<prometheus::Counter>& parse_errors_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& records_cut_;
  prometheus::Family<prometheus::Counter>& records_without_start_;
  prometheus::Family<prometheus::Gauge>& source_up_;
  prometheus::Family<prometheus::Gauge>& scrape_duration_;
  prometheus::Family<prometheus::Counter>& scrape_errors_;
  prometheus::Family<prometheus::Gauge>& source_files_;
  prometheus::Family<prometheus::Gauge>& file_lag_;
  prometheus::Family<prometheus::Counter>& files_skipped_;
  prometheus::Family<prometheus::Gauge>& files_waiting_;
  prometheus::Family<prometheus::Gauge>& files_limit_;
  prometheus::Family<prometheus::Gauge>& last_read_;
  std::mutex mu_;
  std::map<std::string, SourceMetrics> sources_;
  std::map<std::string, FileSourceMetrics> file_sources_;
  std::map<Labels, int> pulled_holders_;  // by the gauges' full label set
  std::unique_ptr<HttpMetrics> http_;
  std::unique_ptr<PositionsMetrics> positions_;  // AcquirePulled minus ReleasePulled, by source
};

}  // namespace metrics_adapter
