#include "adapter/store/series_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "adapter/exposition/text_format.h"

namespace metrics_adapter {
namespace {

bool SameShape(const FamilySpec& a, const FamilySpec& b) {
  return a.name == b.name && a.type == b.type && a.labels == b.labels && a.buckets == b.buckets &&
         a.native == b.native;
}

prometheus::MetricType PrometheusType(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return prometheus::MetricType::Counter;
    case MetricType::kGauge:
      return prometheus::MetricType::Gauge;
    case MetricType::kHistogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

}  // namespace

SeriesStore::SeriesStore(const Schema& schema, std::size_t default_max_series, bool own_metrics)
    : own_metrics_(own_metrics) {
  Reconfigure(schema, default_max_series, [] {});
}

void SeriesStore::SetClockForTesting(std::function<Clock::time_point()> clock) {
  std::lock_guard<std::mutex> lock(mu_);
  clock_ = std::move(clock);
}

void SeriesStore::Reconfigure(const Schema& schema, std::size_t default_max_series,
                              const std::function<void()>& under_lock) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Family> next;
  next.reserve(static_cast<std::size_t>(schema.size()));
  for (const FamilySpec& spec : schema.families()) {
    Family family{spec,
                  spec.max_series > 0 ? spec.max_series : default_max_series,
                  SeriesTable(spec.labels),
                  0,
                  0,
                  0,
                  {}};
    if (spec.native) family.native_schema = NativeSchemaForFactor(spec.native->bucket_factor);
    for (Family& old : families_) {
      if (SameShape(old.spec, spec)) {
        family.series = std::move(old.series);
        family.overflowed = old.overflowed;
        family.expired = old.expired;
        break;
      }
    }
    next.push_back(std::move(family));
  }
  families_ = std::move(next);
  under_lock();
}

void SeriesStore::Writer::Apply(const Update& update) { store_.ApplyLocked(update, now_); }

SeriesStore::Series& SeriesStore::FindOrCreate(Family& family,
                                               std::span<const std::string_view> label_values) {
  if (Series* series = family.series.Find(label_values); series != nullptr) return *series;
  std::span<const std::string_view> values = label_values;
  if (family.series.size() >= family.max_series) {
    // Past the limit: fold into the one overflow series (which itself does
    // not count against the limit), so memory stays bounded whatever the input.
    ++family.overflowed;
    if (family.overflow_values.size() != label_values.size()) {
      family.overflow_values.assign(label_values.size(), kOverflowLabelValue);
    }
    values = family.overflow_values;
    if (Series* series = family.series.Find(values); series != nullptr) return *series;
  }
  Series& fresh = family.series.Add(values);
  if (family.spec.type == MetricType::kHistogram) {
    fresh.histogram = std::make_unique<SeriesTable::Histogram>();
    fresh.histogram->counts.assign(family.spec.buckets.size() + 1, 0);
    if (family.spec.native) {
      fresh.histogram->native.emplace(family.native_schema, family.spec.native->zero_threshold,
                                      family.spec.native->max_buckets);
    }
  }
  return fresh;
}

void SeriesStore::ApplyLocked(const Update& update, Clock::time_point now) {
  Family& family = families_[static_cast<std::size_t>(update.family)];
  Series& series = FindOrCreate(family, update.label_values);
  series.last_update = now;
  switch (update.op) {
    case UpdateOp::kInc:
    case UpdateOp::kAdd:
      series.value += update.value;
      break;
    case UpdateOp::kSet:
      series.value = update.value;
      break;
    case UpdateOp::kObserve: {
      const std::vector<double>& bounds = family.spec.buckets;
      // The first bucket whose upper bound is >= the value; +Inf otherwise.
      SeriesTable::Histogram& histogram = *series.histogram;
      const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), update.value);
      ++histogram.counts[static_cast<std::size_t>(bucket - bounds.begin())];
      if (histogram.native) histogram.native->Observe(update.value);
      histogram.sum += update.value;
      ++histogram.count;
      break;
    }
  }
}

void SeriesStore::PrepareLocked(Clock::time_point now) const {
  for (Family& family : families_) {
    if (family.spec.ttl.count() > 0) {
      family.expired += family.series.EraseIf(
          [&](const Series& series) { return now - series.last_update > family.spec.ttl; });
    }
    family.series.Order();
  }
}

ModelFamily SeriesStore::Model(const Family& family, bool native) {
  ModelFamily model;
  prometheus::MetricFamily& mf = model.family;
  mf.name = family.spec.name;
  mf.help = family.spec.help;
  mf.type = PrometheusType(family.spec.type);
  const bool classic = !native || !family.spec.native || family.spec.buckets_declared;
  const std::vector<Series*>& ordered = family.series.ordered();
  mf.metric.reserve(ordered.size());
  for (const Series* entry : ordered) {
    const Series& series = *entry;
    prometheus::ClientMetric metric;
    std::vector<std::string> values = family.series.Values(series.labels());
    metric.label.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      metric.label.push_back({family.spec.labels[i], std::move(values[i])});
    }
    switch (family.spec.type) {
      case MetricType::kCounter:
        metric.counter.value = series.value;
        break;
      case MetricType::kGauge:
        metric.gauge.value = series.value;
        break;
      case MetricType::kHistogram: {
        const SeriesTable::Histogram& histogram = *series.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; classic && b < histogram.counts.size(); ++b) {
          cumulative += histogram.counts[b];
          const double bound = b < family.spec.buckets.size()
                                   ? family.spec.buckets[b]
                                   : std::numeric_limits<double>::infinity();
          metric.histogram.bucket.push_back({cumulative, bound});
        }
        metric.histogram.sample_count = histogram.count;
        metric.histogram.sample_sum = histogram.sum;
        break;
      }
    }
    mf.metric.push_back(std::move(metric));
    if (native && series.histogram && series.histogram->native) {
      model.native.resize(mf.metric.size(), nullptr);
      model.native.back() = &*series.histogram->native;
    }
  }
  return model;
}

std::vector<prometheus::MetricFamily> SeriesStore::Collect() const {
  std::lock_guard<std::mutex> lock(mu_);
  PrepareLocked(clock_());
  std::vector<prometheus::MetricFamily> out;
  for (const Family& family : families_) {
    if (family.series.size() == 0) continue;
    out.push_back(std::move(Model(family, false).family));
  }
  if (own_metrics_) AppendOwnMetrics(out, nullptr);
  return out;
}

void SeriesStore::AppendOwnMetrics(std::vector<prometheus::MetricFamily>& out,
                                   const SeriesByFamily* pulled_series) const {
  prometheus::MetricFamily series{"metrics_adapter_series",
                                  "Series each metric family serves, from streamed and pulled "
                                  "sources.",
                                  prometheus::MetricType::Gauge,
                                  {}};
  prometheus::MetricFamily overflow{
      "metrics_adapter_series_overflow_total",
      "Updates folded into a family's overflow series because it held max_series series.",
      prometheus::MetricType::Counter,
      {}};
  prometheus::MetricFamily expired{"metrics_adapter_series_expired_total",
                                   "Series removed because they were not updated within their "
                                   "family's ttl.",
                                   prometheus::MetricType::Counter,
                                   {}};
  for (const Family& family : families_) {
    prometheus::ClientMetric metric;
    metric.label = {{"family", family.spec.name}};
    std::size_t held = family.series.size();
    if (pulled_series != nullptr) {
      const auto pulled = pulled_series->find(family.spec.name);
      if (pulled != pulled_series->end()) held += pulled->second;
    }
    metric.gauge.value = static_cast<double>(held);
    series.metric.push_back(metric);
    metric.counter.value = static_cast<double>(family.overflowed);
    overflow.metric.push_back(metric);
    if (family.spec.ttl.count() > 0) {
      metric.counter.value = static_cast<double>(family.expired);
      expired.metric.push_back(metric);
    }
  }
  if (series.metric.empty()) return;
  out.push_back(std::move(series));
  out.push_back(std::move(overflow));
  if (!expired.metric.empty()) out.push_back(std::move(expired));
}

SeriesStore::TextView::TextView(const SeriesStore& store, SeriesByFamily pulled_series)
    : store_(store), lock_(store.mu_), pulled_series_(std::move(pulled_series)) {
  store.PrepareLocked(store.clock_());
  for (std::size_t i = 0; i < store.families_.size(); ++i) {
    const SeriesStore::Family& family = store.families_[i];
    if (family.series.size() == 0) continue;
    refs_.push_back(
        {family.spec.name, family.spec.help, PrometheusType(family.spec.type), family.spec.unit});
    indices_.push_back(i);
  }
}

std::size_t SeriesStore::TextView::EstimateTextSize(std::size_t i) const {
  const SeriesStore::Family& family = store_.families_[indices_[i]];
  // Per line: the name, a suffix, braces, a value; the label block (and a
  // bucket's le="...").
  const std::size_t line = family.spec.name.size() + 32;
  const std::size_t lines =
      family.spec.type == MetricType::kHistogram ? family.spec.buckets.size() + 3 : 1;
  return family.spec.help.size() + 64 +
         lines * (family.series.size() * (line + 16) + family.series.label_bytes());
}

void SeriesStore::TextView::AppendSamples(std::size_t i, ExpositionOutput& output,
                                          std::unordered_set<std::string>* seen) const {
  std::string& out = output.text();
  const SeriesStore::Family& family = store_.families_[indices_[i]];
  const FamilySpec& spec = family.spec;
  // The le="..." text of each bucket, formatted once for all series.
  std::vector<std::string> le;
  if (spec.type == MetricType::kHistogram) {
    for (double bound : spec.buckets) {
      le.emplace_back();
      AppendNumber(le.back(), bound);
    }
    le.emplace_back("+Inf");
  }
  std::string bucket_block;
  for (const Series* series : family.series.ordered()) {
    // The label block was made when the series was: copied, not escaped again.
    const std::string_view block = series->labels();
    if (seen != nullptr && !seen->emplace(block).second) continue;
    if (spec.type != MetricType::kHistogram) {
      AppendSample(out, spec.name, "", block, series->value);
      output.Boundary();
      continue;
    }
    // _count, _sum, then the cumulative buckets: the order Collect's
    // histograms are written in.
    const SeriesTable::Histogram& histogram = *series->histogram;
    AppendSample(out, spec.name, "_count", block, static_cast<double>(histogram.count));
    AppendSample(out, spec.name, "_sum", block, histogram.sum);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < histogram.counts.size(); ++b) {
      cumulative += histogram.counts[b];
      bucket_block = block;
      if (!bucket_block.empty()) bucket_block += ',';
      bucket_block += "le=\"";
      bucket_block += le[b];
      bucket_block += '"';
      AppendSample(out, spec.name, "_bucket", bucket_block, static_cast<double>(cumulative));
    }
    output.Boundary();
  }
}

ModelFamily SeriesStore::TextView::CollectFamily(std::size_t i) const {
  return Model(store_.families_[indices_[i]], true);
}

std::vector<prometheus::MetricFamily> SeriesStore::TextView::CollectedFamilies() const {
  std::vector<prometheus::MetricFamily> out;
  if (store_.own_metrics_) store_.AppendOwnMetrics(out, &pulled_series_);
  return out;
}

std::unique_ptr<TextSnapshot> SeriesStore::OpenSnapshot() const {
  return std::make_unique<TextView>(*this, SeriesByFamily());
}

std::unique_ptr<TextSnapshot> SeriesStore::OpenSnapshot(SeriesByFamily pulled_series) const {
  return std::make_unique<TextView>(*this, std::move(pulled_series));
}

void SeriesStore::AddSeriesByFamily(SeriesByFamily& counts) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Family& family : families_) {
    if (family.series.size() > 0) counts[family.spec.name] += family.series.size();
  }
}

std::size_t SeriesStore::SeriesCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t total = 0;
  for (const Family& family : families_) total += family.series.size();
  return total;
}

}  // namespace metrics_adapter
