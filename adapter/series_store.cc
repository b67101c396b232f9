#include "adapter/series_store.h"

#include <algorithm>
#include <limits>

namespace metrics_adapter {
namespace {

// Separates label values in a series key. 0xFF never occurs in valid UTF-8,
// and label values are valid UTF-8 by the time they reach the store.
constexpr char kKeySeparator = '\xff';

std::vector<std::string_view> SplitKey(std::string_view key) {
  std::vector<std::string_view> values;
  std::size_t start = 0;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == kKeySeparator) {
      values.push_back(key.substr(start, i - start));
      start = i + 1;
    }
  }
  return values;
}

}  // namespace

SeriesStore::SeriesStore(const Schema& schema) {
  families_.reserve(static_cast<std::size_t>(schema.size()));
  for (const FamilySpec& spec : schema.families()) families_.push_back(Family{spec, {}});
}

void SeriesStore::Writer::Apply(const Update& update) { store_.ApplyLocked(update); }

void SeriesStore::ApplyLocked(const Update& update) {
  Family& family = families_[static_cast<std::size_t>(update.family)];
  key_buffer_.clear();
  for (std::string_view value : update.label_values) {
    key_buffer_.append(value);
    key_buffer_.push_back(kKeySeparator);
  }
  auto it = family.series.find(std::string_view(key_buffer_));
  if (it == family.series.end()) {
    Series fresh;
    if (family.spec.type == MetricType::kHistogram) {
      fresh.counts.assign(family.spec.buckets.size() + 1, 0);
    }
    it = family.series.emplace(key_buffer_, std::move(fresh)).first;
  }
  Series& series = it->second;
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
      const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), update.value);
      ++series.counts[static_cast<std::size_t>(bucket - bounds.begin())];
      series.sum += update.value;
      ++series.count;
      break;
    }
  }
}

std::vector<prometheus::MetricFamily> SeriesStore::Collect() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<prometheus::MetricFamily> out;
  for (const Family& family : families_) {
    if (family.series.empty()) continue;
    prometheus::MetricFamily mf;
    mf.name = family.spec.name;
    mf.help = family.spec.help;
    switch (family.spec.type) {
      case MetricType::kCounter:
        mf.type = prometheus::MetricType::Counter;
        break;
      case MetricType::kGauge:
        mf.type = prometheus::MetricType::Gauge;
        break;
      case MetricType::kHistogram:
        mf.type = prometheus::MetricType::Histogram;
        break;
    }
    std::vector<const std::pair<const std::string, Series>*> sorted;
    sorted.reserve(family.series.size());
    for (const auto& entry : family.series) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });

    mf.metric.reserve(sorted.size());
    for (const auto* entry : sorted) {
      const Series& series = entry->second;
      prometheus::ClientMetric metric;
      const std::vector<std::string_view> values = SplitKey(entry->first);
      for (std::size_t i = 0; i < values.size(); ++i) {
        metric.label.push_back({family.spec.labels[i], std::string(values[i])});
      }
      switch (family.spec.type) {
        case MetricType::kCounter:
          metric.counter.value = series.value;
          break;
        case MetricType::kGauge:
          metric.gauge.value = series.value;
          break;
        case MetricType::kHistogram: {
          std::uint64_t cumulative = 0;
          for (std::size_t b = 0; b < series.counts.size(); ++b) {
            cumulative += series.counts[b];
            const double bound = b < family.spec.buckets.size()
                                     ? family.spec.buckets[b]
                                     : std::numeric_limits<double>::infinity();
            metric.histogram.bucket.push_back({cumulative, bound});
          }
          metric.histogram.sample_count = series.count;
          metric.histogram.sample_sum = series.sum;
          break;
        }
      }
      mf.metric.push_back(std::move(metric));
    }
    out.push_back(std::move(mf));
  }
  return out;
}

std::size_t SeriesStore::SeriesCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t total = 0;
  for (const Family& family : families_) total += family.series.size();
  return total;
}

}  // namespace metrics_adapter
