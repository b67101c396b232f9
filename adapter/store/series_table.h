// SeriesTable: the series of one metric family, for SeriesStore.
//
// Each series is one allocation holding its value and its label block as the
// text formats write it (`a="x",b="y"`: label order, values escaped), made
// once when the series is created. A scrape copies the block instead of
// escaping every value again, and the block is the series' key: two label
// sets are the same series exactly when their blocks are equal.
//
// The table keeps, in step:
//   - an open-addressing index from label values to series (one pointer per
//     slot, at most 3/4 of the slots used), hashed over the bare values and
//     compared against the block in place: a lookup writes no key;
//   - the series in label-value order: those ordered at the last Order()
//     call, plus those added since, which the next Order() sorts and merges
//     in. A scrape pays k log k for k new series, not n log n for all;
//   - the series Find or Add resolved last: an update with the same label
//     values as the one before (the same method and status as the line
//     before) is compared against its block and skips the hash and the
//     probe. It refers to a live series only: EraseIf, the one way a series
//     goes, and Clear forget it; a moved table takes it along with its
//     series.
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
    std::uint32_t hash_ = 0;       // of the label values (HashValues), for the index
    std::uint32_t size_ : 31 = 0;  // of labels()
    // Whether labels() holds an escape (a value with a backslash, double
    // quote or newline); without one, a value's stored bytes are its bytes.
    std::uint32_t escaped_ : 1 = 0;
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
  // Removes the series `remove` says and frees them. Returns how many went.
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
  void MakeBlock(std::span<const std::string_view> values);
  // Whether `series`' block holds exactly `values`.
  bool Holds(const Series& series, std::span<const std::string_view> values) const;
  Series* FindValues(std::span<const std::string_view> values, std::uint32_t hash) const;
  void Index(Series* series);
  void Reindex(std::size_t slots);
  void Clear();

  std::vector<std::string> names_;
  std::vector<Series*> slots_;    // the index; size a power of two, or 0
  std::vector<Series*> ordered_;  // sorted by Less
  std::vector<Series*> added_;    // not yet in ordered_
  std::size_t label_bytes_ = 0;
  Series* last_ = nullptr;  // what Find or Add resolved last; null after EraseIf
  std::string block_;       // scratch for MakeBlock
};

}  // namespace metrics_adapter
