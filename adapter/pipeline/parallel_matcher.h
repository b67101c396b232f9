// ParallelMatcher: one streamed source's lines parsed and matched on several
// threads, with the result of one. The lines of a read are cut into slices,
// long first and shorter as the read is used up; the source's thread and the
// idle MatchWorkers helpers each take the next slice not yet taken, parse and
// match it with a parser, MatchScratch and MatchCounts of their own (a lane),
// and record its updates in the slice's UpdateBatch (label values as views
// into the lines, which stay valid until Match returns). Batches are applied
// to the sink strictly in slice order, by whichever thread finds the next one
// complete (and, at the end, by the source's thread); a slice taken when
// every slice before it is applied and no thread is applying goes to the
// sink directly, without a batch. So applying overlaps matching and every
// order-dependent result (a gauge `set` by a later line wins; the first
// series over a family's max_series limit) is exactly what one thread makes.
//
// Only for parsers whose stream lines are independent (not csv, whose header
// line configures the lines after it: ParserInfo::stream_state).
//
// Usage (the source's thread, holding the store's writer):
//   ParallelMatcher matcher(parser_choice, workers);
//   matcher.Adopt(*rules);  // and again whenever the rules change
//   if (matcher.Worth(lines.size())) matcher.Match(lines, *rules, writer, counts, errors);
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "adapter/pipeline/match_workers.h"
#include "adapter/pipeline/parse_error_counts.h"
#include "adapter/pipeline/update_batch.h"
#include "parsers/parser.h"
#include "parsers/parser_config.h"
#include "rules/rule_set.h"

namespace metrics_adapter {

class ParallelMatcher {
 public:
  // `workers` must outlive the matcher.
  ParallelMatcher(const ParserChoice& parser, MatchWorkers& workers);
  ~ParallelMatcher();
  ParallelMatcher(const ParallelMatcher&) = delete;
  ParallelMatcher& operator=(const ParallelMatcher&) = delete;

  // Sizes the lanes' scratch space and counts for `rules`; call before the
  // first Match and whenever the rules change.
  void Adopt(const RuleSet& rules);

  // Whether `lines` lines are enough to be worth sharing out; fewer are
  // cheaper matched on the source's thread alone (a quiet log's few lines).
  bool Worth(std::size_t lines) const;

  // Parses `lines` (stream lines, in order) and matches their records
  // against `rules` (the rules last adopted), applying every update to
  // `sink` in line order; adds the match counts to `counts` and the parse
  // errors to `errors`. Not thread-safe: the source's one thread calls it.
  // `sink` is only ever called by one thread at a time.
  void Match(std::span<const std::string_view> lines, const RuleSet& rules, UpdateSink& sink,
             MatchCounts& counts, ParseErrorCounts& errors);

 private:
  struct Lane;
  class Job;

  MatchWorkers& workers_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // by lane, one per thread
  std::vector<std::size_t> slice_ends_;       // by slice: the line after its last
  std::vector<UpdateBatch> batches_;          // by slice; reused across calls
  std::vector<std::atomic<bool>> done_;       // by slice: matched, its batch ready
  std::mutex apply_mu_;                       // held by the thread applying batches
};

}  // namespace metrics_adapter
