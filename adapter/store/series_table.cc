#include "adapter/store/series_table.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "adapter/exposition/text_format.h"

namespace metrics_adapter {
namespace {

std::uint32_t HashBlock(std::string_view block) {
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(block));
}

// Reads one character of an escaped label value at `pos` (as AppendLabelPair
// escapes it) and moves past it. Returns -1 at the value's closing quote,
// which ranks it before every byte, else the character's byte value.
int NextValueChar(std::string_view block, std::size_t& pos) {
  const char c = block[pos];
  if (c == '"') return -1;
  if (c != '\\') {
    ++pos;
    return static_cast<unsigned char>(c);
  }
  const char escaped = block[pos + 1];
  pos += 2;
  return escaped == 'n' ? '\n' : static_cast<unsigned char>(escaped);
}

SeriesTable::Series* NewSeries(std::string_view block) {
  // The header and the label block in one allocation.
  void* memory = ::operator new(sizeof(SeriesTable::Series) + block.size());
  auto* series = new (memory) SeriesTable::Series();
  std::memcpy(static_cast<char*>(memory) + sizeof(SeriesTable::Series), block.data(), block.size());
  return series;
}

void DeleteSeries(SeriesTable::Series* series) {
  series->~Series();
  ::operator delete(series);
}

}  // namespace

SeriesTable::SeriesTable(std::vector<std::string> label_names) : names_(std::move(label_names)) {}

SeriesTable::~SeriesTable() { Clear(); }

SeriesTable::SeriesTable(SeriesTable&& other) noexcept
    : names_(std::move(other.names_)),
      slots_(std::move(other.slots_)),
      ordered_(std::move(other.ordered_)),
      added_(std::move(other.added_)),
      label_bytes_(std::exchange(other.label_bytes_, 0)),
      recent_(std::move(other.recent_)) {
  other.slots_.clear();
  other.ordered_.clear();
  other.added_.clear();
  other.Forget();
}

SeriesTable& SeriesTable::operator=(SeriesTable&& other) noexcept {
  if (this == &other) return *this;
  Clear();
  names_ = std::move(other.names_);
  slots_ = std::move(other.slots_);
  ordered_ = std::move(other.ordered_);
  added_ = std::move(other.added_);
  label_bytes_ = std::exchange(other.label_bytes_, 0);
  recent_ = std::move(other.recent_);
  other.slots_.clear();
  other.ordered_.clear();
  other.added_.clear();
  other.Forget();
  return *this;
}

void SeriesTable::Clear() {
  for (Series* series : ordered_) DeleteSeries(series);
  for (Series* series : added_) DeleteSeries(series);
  ordered_.clear();
  added_.clear();
  slots_.clear();
  label_bytes_ = 0;
  Forget();
}

void SeriesTable::MakeBlock(std::span<const std::string_view> values) {
  block_.clear();
  for (std::size_t i = 0; i < values.size() && i < names_.size(); ++i) {
    if (i > 0) block_ += ',';
    AppendLabelPair(block_, names_[i], values[i]);
  }
}

SeriesTable::Series* SeriesTable::FindBlock(std::string_view block, std::uint32_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Series* series = slots_[i];
    if (series == nullptr) return nullptr;
    if (series->hash_ == hash && series->labels() == block) return series;
  }
}

SeriesTable::Series* SeriesTable::Find(std::span<const std::string_view> values) {
  for (std::size_t i = 0; i < kRecent; ++i) {
    Recent& recent = recent_[i];
    if (recent.series != nullptr &&
        std::equal(values.begin(), values.end(), recent.values.begin(), recent.values.end())) {
      Series* series = recent.series;
      // A hit moves one place up: frequent label sets stay at the front.
      if (i > 0) std::swap(recent_[i - 1], recent_[i]);
      return series;
    }
  }
  MakeBlock(values);
  Series* series = FindBlock(block_, HashBlock(block_));
  if (series != nullptr) Remember(series, values);
  return series;
}

SeriesTable::Series& SeriesTable::Add(std::span<const std::string_view> values) {
  MakeBlock(values);
  Series* series = NewSeries(block_);
  series->hash_ = HashBlock(block_);
  series->size_ = static_cast<std::uint32_t>(block_.size());
  added_.push_back(series);
  label_bytes_ += block_.size();
  // Keep at most 3/4 of the slots used, so a probe meets an empty slot soon.
  if ((size() + 1) * 4 > slots_.size() * 3) {
    Reindex(std::max<std::size_t>(16, slots_.size() * 2));
  } else {
    Index(series);
  }
  Remember(series, values);
  return *series;
}

void SeriesTable::Index(Series* series) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = series->hash_ & mask;
  while (slots_[i] != nullptr) i = (i + 1) & mask;
  slots_[i] = series;
}

void SeriesTable::Reindex(std::size_t slots) {
  slots_.assign(slots, nullptr);
  for (Series* series : ordered_) Index(series);
  for (Series* series : added_) Index(series);
}

void SeriesTable::Remember(Series* series, std::span<const std::string_view> values) {
  // A new set takes the last place, the least used one's.
  Recent& recent = recent_[kRecent - 1];
  recent.series = series;
  recent.values.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) recent.values[i].assign(values[i]);
}

void SeriesTable::Forget() {
  for (Recent& recent : recent_) recent.series = nullptr;
}

std::size_t SeriesTable::EraseIf(const std::function<bool(const Series&)>& remove) {
  std::size_t removed = 0;
  const auto erase = [&](std::vector<Series*>& list) {
    std::erase_if(list, [&](Series* series) {
      if (!remove(*series)) return false;
      label_bytes_ -= series->size_;
      DeleteSeries(series);
      ++removed;
      return true;
    });
  };
  erase(ordered_);
  erase(added_);
  if (removed == 0) return 0;
  Forget();
  // The smallest power of two that keeps at most 3/4 of the slots used:
  // the index shrinks with the series.
  std::size_t slots = 16;
  while ((size() + 1) * 4 > slots * 3) slots *= 2;
  Reindex(slots);
  return removed;
}

void SeriesTable::Order() {
  if (added_.empty()) return;
  const auto less = [this](const Series* a, const Series* b) {
    return Less(a->labels(), b->labels());
  };
  std::sort(added_.begin(), added_.end(), less);
  const auto middle = static_cast<std::ptrdiff_t>(ordered_.size());
  ordered_.insert(ordered_.end(), added_.begin(), added_.end());
  std::inplace_merge(ordered_.begin(), ordered_.begin() + middle, ordered_.end(), less);
  added_.clear();
  // A burst of new series should not pin its list's memory for good.
  if (added_.capacity() > 4096) std::vector<Series*>().swap(added_);
}

bool SeriesTable::Less(std::string_view a, std::string_view b) const {
  // Both blocks spell the same label names at the same places as long as
  // the values before are equal, so one position serves both until then.
  std::size_t pos = 0;
  for (std::size_t l = 0; l < names_.size() && pos < a.size(); ++l) {
    pos += (l > 0 ? 1 : 0) + names_[l].size() + 2;  // `,name="`
    std::size_t pa = pos, pb = pos;
    for (;;) {
      const int ca = NextValueChar(a, pa);
      const int cb = NextValueChar(b, pb);
      if (ca != cb) return ca < cb;
      if (ca < 0) break;
    }
    pos = pa + 1;  // past the closing quote
  }
  return false;
}

std::vector<std::string> SeriesTable::Values(std::string_view labels) const {
  std::vector<std::string> values;
  values.reserve(names_.size());
  std::size_t pos = 0;
  for (std::size_t l = 0; l < names_.size() && pos < labels.size(); ++l) {
    pos += (l > 0 ? 1 : 0) + names_[l].size() + 2;
    std::string& value = values.emplace_back();
    for (int c = NextValueChar(labels, pos); c >= 0; c = NextValueChar(labels, pos)) {
      value += static_cast<char>(c);
    }
    ++pos;
  }
  return values;
}

}  // namespace metrics_adapter
