// SeriesStore holds the current value of every series the rules write, and
// exposes them to prometheus-cpp through its one-method Collectable seam.
//
// A series is created on its first update. Its key is the family plus its
// label values in the family's label order; the label names are fixed by the
// schema, so every series of a family has the same label set and the
// exposition can never hold inconsistent or duplicate series.
//
// What a scrape would otherwise redo for every series is done once, when
// the series is created (series_table.h): its label block is written, as
// the text formats spell it, into the series' own allocation; and each
// family keeps its series ordered by label values, so a scrape only sorts
// the series created since the last one and merges them in. An update finds
// its series by a hash of its bare label values, compared against the label
// block in place, without writing a key; one whose values equal those of
// the series its family resolved last skips the hash too.
//
// Guards against hostile input, enforced when a series would be created, not
// by a later clean-up:
//   - each family holds at most max_series series (the family's own limit or
//     the store-wide default); updates for new label sets past it go to one
//     overflow series whose every label is "__overflow__", and are counted in
//     metrics_adapter_series_overflow_total{family};
//   - a family with a ttl drops series not updated for that long (checked at
//     each scrape), counted in metrics_adapter_series_expired_total{family}.
// The store also exposes metrics_adapter_series{family}, the series held
// (plus, in a snapshot opened with them, the pulled sources' series).
//
// Writers take the store's lock once per batch of records (not per record):
//   {
//     SeriesStore::Writer writer = store.Write();
//     rules.Match(line, scratch, counts, writer);  // Writer is an UpdateSink
//   }
//   std::vector<prometheus::MetricFamily> families = store.Collect();
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapter/exposition/exposable.h"
#include "adapter/store/series_table.h"
#include "rules/rule_set.h"
#include "rules/schema.h"

namespace metrics_adapter {

inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

class SeriesStore : public prometheus::Collectable, public Exposable {
 public:
  using Clock = std::chrono::steady_clock;

  // The store exposes exactly the families of `schema` (copied).
  // `own_metrics`: whether Collect adds the store's own metrics (a store
  // that lives for one scrape of a pulled source does not).
  explicit SeriesStore(const Schema& schema,
                       std::size_t default_max_series = kDefaultMaxSeriesPerFamily,
                       bool own_metrics = true);

  // Holds the store's lock for its lifetime and applies updates under it.
  class Writer : public UpdateSink {
   public:
    void Apply(const Update& update) override;

   private:
    friend class SeriesStore;
    explicit Writer(SeriesStore& store) : store_(store), lock_(store.mu_), now_(store.clock_()) {}
    SeriesStore& store_;
    std::unique_lock<std::mutex> lock_;
    Clock::time_point now_;  // one clock read per batch, not per update
  };
  Writer Write() { return Writer(*this); }

  // Switches to the families of `schema`. A family whose name, type, labels
  // and buckets are unchanged keeps its series and their values, so a reload
  // shows Prometheus no counter reset; other families start empty.
  // `under_lock` runs while the store is locked, after the switch: the place
  // to swap the rule sets whose family indices refer to the new schema, so
  // no writer ever sees one without the other.
  void Reconfigure(const Schema& schema, std::size_t default_max_series,
                   const std::function<void()>& under_lock);

  // Families with at least one series, series sorted by label values, then
  // the store's own metrics. Drops expired series and orders new ones first. Native histograms
  // appear as their classic buckets. Thread-safe.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Number of series in all families. Thread-safe.
  std::size_t SeriesCount() const;

  // Series by family name.
  using SeriesByFamily = std::map<std::string, std::size_t, std::less<>>;
  // Adds each family's series to `counts`. Thread-safe.
  void AddSeriesByFamily(SeriesByFamily& counts) const;

  // A snapshot for RenderExposition, which writes the text format straight
  // from the series instead of through Collect: no prometheus-cpp data model
  // is built, which is most of Collect's cost. Holds the store's lock while
  // it lives; drops expired series and orders new ones first, as Collect does. Series come
  // sorted by label values, as from Collect; the store's own metrics are its
  // collected families.
  std::unique_ptr<TextSnapshot> OpenSnapshot() const override;
  // The same, its metrics_adapter_series{family} adding `pulled_series`: the
  // series pulled sources' stores (own_metrics false) serve in the same
  // exposition, counted per store (see Scraper).
  std::unique_ptr<TextSnapshot> OpenSnapshot(SeriesByFamily pulled_series) const;

  // For tests: the clock that stamps updates and judges expiry.
  void SetClockForTesting(std::function<Clock::time_point()> clock);

 private:
  struct Family {
    FamilySpec spec;
    std::size_t max_series = 0;
    SeriesTable series;            // by label values; see series_table.h
    std::uint64_t overflowed = 0;  // updates folded into the overflow series
    std::uint64_t expired = 0;     // series removed by the ttl
    int native_schema = 0;         // native histograms: the schema new series start at
    // The overflow series' label values (every one kOverflowLabelValue), made
    // at the first overflow, so folding an update allocates nothing.
    std::vector<std::string_view> overflow_values;
  };

  class TextView final : public TextSnapshot {
   public:
    TextView(const SeriesStore& store, SeriesByFamily pulled_series);
    const std::vector<Family>& families() const override { return refs_; }
    std::size_t EstimateTextSize(std::size_t i) const override;
    void AppendSamples(std::size_t i, ExpositionOutput& out,
                       std::unordered_set<std::string>* seen) const override;
    ModelFamily CollectFamily(std::size_t i) const override;
    std::vector<prometheus::MetricFamily> CollectedFamilies() const override;

   private:
    const SeriesStore& store_;
    std::unique_lock<std::mutex> lock_;
    std::vector<Family> refs_;
    std::vector<std::size_t> indices_;  // refs_[k] is families_[indices_[k]]
    SeriesByFamily pulled_series_;
  };

  using Series = SeriesTable::Series;
  // The family in prometheus-cpp's model, series sorted; with `native`, also
  // each series' native histogram, and classic buckets only when declared
  // (what the protobuf format carries).
  static ModelFamily Model(const Family& family, bool native);
  void ApplyLocked(const Update& update, Clock::time_point now);
  Series& FindOrCreate(Family& family, std::span<const std::string_view> label_values);
  // Drops expired series, then brings new series into each family's order:
  // what a scrape does first.
  void PrepareLocked(Clock::time_point now) const;
  // `pulled_series`: added to metrics_adapter_series; may be null.
  void AppendOwnMetrics(std::vector<prometheus::MetricFamily>& out,
                        const SeriesByFamily* pulled_series) const;

  mutable std::mutex mu_;
  // Mutable because a scrape (Collect, const by prometheus-cpp's interface)
  // drops expired series.
  mutable std::vector<Family> families_;
  std::function<Clock::time_point()> clock_ = [] { return Clock::now(); };
  bool own_metrics_;
};

}  // namespace metrics_adapter
