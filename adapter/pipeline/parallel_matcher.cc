#include "adapter/pipeline/parallel_matcher.h"

#include <algorithm>

namespace metrics_adapter {
namespace {

// A read of 256 KiB holds about a thousand log lines. Slices shrink as the
// read is used up (each takes a share of what is left, between the bounds):
// the first are long, so there are few batches to hand over, and the last
// are short, so that a thread that takes one just before the other runs out
// of work keeps it waiting little (the source's thread waits for every
// slice to be matched before OnLines returns).
constexpr std::size_t kShareOfRestPerLane = 2;
constexpr std::size_t kMinSliceLines = 16;
constexpr std::size_t kMaxSliceLines = 256;

}  // namespace

// What one thread parses and matches with: nothing in it is shared.
struct ParallelMatcher::Lane : RecordSink {
  std::unique_ptr<Parser> parser;
  std::optional<MatchScratch> scratch;
  std::optional<MatchCounts> counts;
  ParseErrorCounts errors;
  const RuleSet* rules = nullptr;
  UpdateSink* sink = nullptr;  // where the slice being matched goes: its batch, or the sink

  void OnRecord(const Record& record) override { rules->Match(record, *scratch, *counts, *sink); }
  void OnParseError(std::string_view reason) override { errors.Add(reason, 1); }
};

// One Match call's shared state: the next slice to take, the next to apply.
class ParallelMatcher::Job : public MatchWorkers::Work {
 public:
  Job(ParallelMatcher& matcher, std::span<const std::string_view> lines, std::size_t slices,
      UpdateSink& sink)
      : matcher_(matcher), lines_(lines), slices_(slices), sink_(sink) {}

  void operator()(std::size_t lane_index) override {
    Lane& lane = *matcher_.lanes_[lane_index];
    for (std::size_t slice; (slice = next_slice_.fetch_add(1)) < slices_;) {
      const std::size_t begin = slice == 0 ? 0 : matcher_.slice_ends_[slice - 1];
      const std::size_t end = matcher_.slice_ends_[slice];
      // Every slice before this one applied and no thread applying: this
      // one's updates go straight to the sink, with no batch in between
      // (the lock held while it is matched: the others keep their batches).
      std::unique_lock lock(matcher_.apply_mu_, std::try_to_lock);
      if (lock.owns_lock() && next_apply_ == slice) {
        lane.sink = &sink_;
        for (std::size_t i = begin; i < end; ++i) lane.parser->ParseStreamLine(lines_[i], lane);
        ++next_apply_;
        ApplyReadyLocked();
        continue;
      }
      if (lock.owns_lock()) lock.unlock();
      UpdateBatch& batch = matcher_.batches_[slice];
      batch.Clear();
      lane.sink = &batch;
      for (std::size_t i = begin; i < end; ++i) {
        batch.SetLine(lines_[i]);
        lane.parser->ParseStreamLine(lines_[i], lane);
      }
      matcher_.done_[slice].store(true, std::memory_order_release);
      ApplyReady(/*wait=*/false);
    }
  }

  // Applies the complete batches that come next in slice order. Without
  // `wait`, leaves it to the thread already applying (which may miss a
  // batch completed just after it looked: the final call, with `wait`, after
  // every slice is done, applies what is left).
  void ApplyReady(bool wait) {
    std::unique_lock lock(matcher_.apply_mu_, std::defer_lock);
    if (wait) {
      lock.lock();
    } else if (!lock.try_lock()) {
      return;
    }
    ApplyReadyLocked();
  }

 private:
  // ApplyReady's work; apply_mu_ held.
  void ApplyReadyLocked() {
    while (next_apply_ < slices_ && matcher_.done_[next_apply_].load(std::memory_order_acquire)) {
      matcher_.batches_[next_apply_].Replay(sink_);
      ++next_apply_;
    }
  }

  ParallelMatcher& matcher_;
  const std::span<const std::string_view> lines_;
  const std::size_t slices_;
  UpdateSink& sink_;
  std::atomic<std::size_t> next_slice_{0};
  std::size_t next_apply_ = 0;  // under matcher_.apply_mu_
};

ParallelMatcher::ParallelMatcher(const ParserChoice& parser, MatchWorkers& workers)
    : workers_(workers) {
  for (std::size_t i = 0; i < workers_.threads(); ++i) {
    lanes_.push_back(std::make_unique<Lane>());
    lanes_.back()->parser = parser.Create();
  }
}

ParallelMatcher::~ParallelMatcher() = default;

void ParallelMatcher::Adopt(const RuleSet& rules) {
  for (const std::unique_ptr<Lane>& lane : lanes_) {
    lane->scratch.emplace(rules);
    lane->counts.emplace(rules);
  }
}

bool ParallelMatcher::Worth(std::size_t lines) const {
  return lanes_.size() > 1 && lines >= 2 * kMinSliceLines;
}

void ParallelMatcher::Match(std::span<const std::string_view> lines, const RuleSet& rules,
                            UpdateSink& sink, MatchCounts& counts, ParseErrorCounts& errors) {
  slice_ends_.clear();
  for (std::size_t end = 0; end < lines.size();) {
    const std::size_t rest = lines.size() - end;
    end += std::min(rest, std::clamp(rest / (lanes_.size() * kShareOfRestPerLane), kMinSliceLines,
                                     kMaxSliceLines));
    slice_ends_.push_back(end);
  }
  const std::size_t slices = slice_ends_.size();
  if (batches_.size() < slices) batches_.resize(slices);
  if (done_.size() < slices) done_ = std::vector<std::atomic<bool>>(slices);
  for (std::size_t i = 0; i < slices; ++i) done_[i].store(false, std::memory_order_relaxed);
  for (const std::unique_ptr<Lane>& lane : lanes_) lane->rules = &rules;

  Job job(*this, lines, slices, sink);
  workers_.Run(job);  // every slice matched when it returns
  job.ApplyReady(/*wait=*/true);

  for (const std::unique_ptr<Lane>& lane : lanes_) {
    counts.Add(*lane->counts);
    lane->counts->Reset();
    errors.AddAll(lane->errors);
    lane->errors.Clear();
  }
}

}  // namespace metrics_adapter
