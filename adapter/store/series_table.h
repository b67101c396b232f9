// SeriesTable: the series of one metric family, for SeriesStore.
//
// Each series is one allocation holding its value and its label block as the
// text formats write it (`a="x",b="y"`: label order, values escaped), made
// once when the series is created. A scrape copies the block instead of
// escaping every value again, and the block is the series' key: two label
// sets are the same series exactly when their blocks are equal.
//
// The table keeps, in step:
//   - an open-addressing index from label block to series (one pointer per
//     slot, at most 3/4 of the slots used);
//   - the series in label-value order: those ordered at the last Order()
//     call, plus those added since, which the next Order() sorts and merges
//     in. A scrape pays k log k for k new series, not n log n for all;
//   - the last few label-value sets Find resolved, with their series: a
//     repeated update (the same method and status as the line before) skips
//     making and hashing its block. Entries refer to live series only:
//     EraseIf, the one way a series goes, forgets them all.
// Not thread-safe: the store's lock guards it.
//
// Usage:
//   SeriesTable table({"method", "code"});
//   SeriesTable::Series* s = table.Find(values);
//   if (s == nullptr) s = &table.Add(values);
//   s->value += 1;
//   table.Order();
//   for (const SeriesTable::Series* series : table.ordered()) Write(series->labels());
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/exposition/native_histogram.h"

namespace metrics_adapter {

class SeriesTable {
 public:
  using Clock = std::chrono::steady_clock;

  // A histogram series' state beyond its value (held only by histograms).
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, +Inf last
    double sum = 0;
    std::uint64_t count = 0;
    std::optional<NativeHistogram> native;  // native histograms' buckets
  };

  class Series {
   public:
    double value = 0;  // counters and gauges
    Clock::time_point last_update;
    std::unique_ptr<Histogram> histogram;

    // The label block, `a="x",b="y"` (empty for a family without labels).
    std::string_view labels() const {
      return {reinterpret_cast<const char*>(this + 1), size_};  // NOLINT: the bytes after it
    }

   private:
    friend class SeriesTable;
    std::uint32_t hash_ = 0;  // of labels(), for the index
    std::uint32_t size_ = 0;  // of labels()
  };

  // `label_names`: the family's labels, in order.
  explicit SeriesTable(std::vector<std::string> label_names);
  ~SeriesTable();
  SeriesTable(SeriesTable&& other) noexcept;
  SeriesTable& operator=(SeriesTable&& other) noexcept;
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;

  // The series of `values` (one per label, in label order), or null.
  Series* Find(std::span<const std::string_view> values);
  // Creates the series of `values`, which must not exist yet. It is in
  // ordered() after the next Order().
  Series& Add(std::span<const std::string_view> values);
  // Removes the series `remove` says, frees them and forgets the recent
  // label-value sets. Returns how many went.
  std::size_t EraseIf(const std::function<bool(const Series&)>& remove);
  // Brings the series added since the last call into ordered().
  void Order();

  // Every series by label values, value by value (a value sorts before the
  // longer values it is a prefix of), after Order() with no Add since.
  const std::vector<Series*>& ordered() const { return ordered_; }
  std::size_t size() const { return ordered_.size() + added_.size(); }
  // The bytes of all label blocks together.
  std::size_t label_bytes() const { return label_bytes_; }
  const std::vector<std::string>& label_names() const { return names_; }

  // The label values a block holds, unescaped, in label order.
  std::vector<std::string> Values(std::string_view labels) const;
  // Whether block `a` sorts before block `b` (both of this family).
  bool Less(std::string_view a, std::string_view b) const;

 private:
  static constexpr std::size_t kRecent = 8;
  struct Recent {
    Series* series = nullptr;
    std::vector<std::string> values;
  };

  void MakeBlock(std::span<const std::string_view> values);
  Series* FindBlock(std::string_view block, std::uint32_t hash) const;
  void Index(Series* series);
  void Reindex(std::size_t slots);
  void Remember(Series* series, std::span<const std::string_view> values);
  void Forget();
  void Clear();

  std::vector<std::string> names_;
  std::vector<Series*> slots_;    // the index; size a power of two, or 0
  std::vector<Series*> ordered_;  // sorted by Less
  std::vector<Series*> added_;    // not yet in ordered_
  std::size_t label_bytes_ = 0;
  std::array<Recent, kRecent> recent_;
  std::string block_;  // scratch for MakeBlock
};

}  // namespace metrics_adapter
