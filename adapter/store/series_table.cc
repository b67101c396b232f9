#include "adapter/store/series_table.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

#include "adapter/exposition/text_format.h"

namespace metrics_adapter {
namespace {

// One step of HashValues: `word` mixed into `hash`.
std::uint64_t Mix(std::uint64_t hash, std::uint64_t word) {
  hash = (hash ^ word) * 0x9E3779B97F4A7C15ULL;
  return hash ^ (hash >> 29);
}

// The bytes of `text`, at most 8, as one word: each byte lands in it, so two
// texts of one length give two words.
std::uint64_t Word(const char* text, std::size_t size) {
  if (size >= 4) {
    std::uint32_t first = 0, last = 0;
    std::memcpy(&first, text, 4);
    std::memcpy(&last, text + size - 4, 4);
    return first | (static_cast<std::uint64_t>(last) << 32);
  }
  if (size == 0) return 0;
  return static_cast<unsigned char>(text[0]) |
         (static_cast<std::uint64_t>(static_cast<unsigned char>(text[size / 2])) << 8) |
         (static_cast<std::uint64_t>(static_cast<unsigned char>(text[size - 1])) << 16);
}

// Whether the `size` bytes at `a` and at `b` are equal: short ones (a
// method, a status code) in a loop, cheaper than a call.
bool SameBytes(const char* a, const char* b, std::size_t size) {
  if (size > 8) return std::memcmp(a, b, size) == 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The index's hash of a series: over its bare label values (each one's size
// and bytes, eight at a time), not its escaped block, so a lookup need not
// write the block first.
std::uint32_t HashValues(std::span<const std::string_view> values) {
  std::uint64_t hash = values.size();
  for (std::string_view value : values) {
    const char* text = value.data();
    std::size_t size = value.size();
    hash ^= size;  // mixed in with the first word
    for (; size > 8; size -= 8, text += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text, 8);
      hash = Mix(hash, word);
    }
    hash = Mix(hash, Word(text, size));
  }
  // Murmur3's finalizer: every input bit reaches the low bits the index uses.
  hash ^= hash >> 33;
  hash *= 0xFF51AFD7ED558CCDULL;
  hash ^= hash >> 33;
  return static_cast<std::uint32_t>(hash);
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
      last_(std::exchange(other.last_, nullptr)) {
  other.slots_.clear();
  other.ordered_.clear();
  other.added_.clear();
}

SeriesTable& SeriesTable::operator=(SeriesTable&& other) noexcept {
  if (this == &other) return *this;
  Clear();
  names_ = std::move(other.names_);
  slots_ = std::move(other.slots_);
  ordered_ = std::move(other.ordered_);
  added_ = std::move(other.added_);
  label_bytes_ = std::exchange(other.label_bytes_, 0);
  last_ = std::exchange(other.last_, nullptr);
  other.slots_.clear();
  other.ordered_.clear();
  other.added_.clear();
  return *this;
}

void SeriesTable::Clear() {
  for (Series* series : ordered_) DeleteSeries(series);
  for (Series* series : added_) DeleteSeries(series);
  ordered_.clear();
  added_.clear();
  slots_.clear();
  label_bytes_ = 0;
  last_ = nullptr;
}

void SeriesTable::MakeBlock(std::span<const std::string_view> values) {
  block_.clear();
  for (std::size_t i = 0; i < values.size() && i < names_.size(); ++i) {
    if (i > 0) block_ += ',';
    AppendLabelPair(block_, names_[i], values[i]);
  }
}

bool SeriesTable::Holds(const Series& series, std::span<const std::string_view> values) const {
  const std::string_view block = series.labels();
  const char* at = block.data();
  const char* const end = at + block.size();
  const std::size_t labels = std::min(values.size(), names_.size());
  for (std::size_t l = 0; l < labels; ++l) {
    const std::size_t skip = (l > 0 ? 1 : 0) + names_[l].size() + 2;  // `,name="`
    if (static_cast<std::size_t>(end - at) <= skip) return false;
    at += skip;
    const std::string_view value = values[l];
    if (!series.escaped_) {
      // The opening quote, the bytes as they are, the closing quote. Such a
      // block has two double quotes per label and none elsewhere; the walk
      // checks two per label, so when it ends at the block's end it has met
      // each label's own quotes, and no value held one. A backslash or
      // newline matches no byte of such a block.
      if (at[-1] != '"' || static_cast<std::size_t>(end - at) <= value.size() ||
          at[value.size()] != '"' || !SameBytes(at, value.data(), value.size())) {
        return false;
      }
      at += value.size() + 1;
      continue;
    }
    // Each character as AppendLabelPair escapes it. The value's closing
    // quote mismatches every character (a quote in the value is `\"`), so
    // the walk stops at it and never runs past the block.
    for (const char c : value) {
      const char stored = *at++;
      if (c == '\\' || c == '"' || c == '\n') {
        if (stored != '\\' || *at++ != (c == '\n' ? 'n' : c)) return false;
      } else if (stored != c) {
        return false;
      }
    }
    if (*at++ != '"') return false;
  }
  return at == end;
}

SeriesTable::Series* SeriesTable::FindValues(std::span<const std::string_view> values,
                                             std::uint32_t hash) const {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Series* series = slots_[i];
    if (series == nullptr) return nullptr;
    if (series->hash_ == hash && Holds(*series, values)) return series;
  }
}

SeriesTable::Series* SeriesTable::Find(std::span<const std::string_view> values) {
  values = values.first(std::min(values.size(), names_.size()));  // as MakeBlock reads them
  // The same values as the update before: no hash, no probe.
  if (last_ != nullptr && Holds(*last_, values)) return last_;
  Series* series = FindValues(values, HashValues(values));
  if (series != nullptr) last_ = series;
  return series;
}

SeriesTable::Series& SeriesTable::Add(std::span<const std::string_view> values) {
  values = values.first(std::min(values.size(), names_.size()));
  MakeBlock(values);
  Series* series = NewSeries(block_);
  series->hash_ = HashValues(values);
  series->size_ = static_cast<std::uint32_t>(block_.size());
  series->escaped_ = block_.find('\\') != std::string::npos ? 1 : 0;
  added_.push_back(series);
  label_bytes_ += block_.size();
  // Keep at most 3/4 of the slots used, so a probe meets an empty slot soon.
  if ((size() + 1) * 4 > slots_.size() * 3) {
    Reindex(std::max<std::size_t>(16, slots_.size() * 2));
  } else {
    Index(series);
  }
  last_ = series;
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
  last_ = nullptr;
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
