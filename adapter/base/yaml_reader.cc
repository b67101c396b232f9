#include "adapter/base/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "adapter/base/bounded_read.h"
#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<YAML::Node> LoadYamlFile(const std::string& path, Diagnostics& diags,
                                       const ScalarEntryObserver* observer) {
  std::string text;
  if (std::string error = ReadBoundedFile(path, kMaxConfigFileBytes, &text); !error.empty()) {
    diags.Error({path, 0, 0}, error);
    return std::nullopt;
  }
  YamlSyntaxError error;
  std::optional<YAML::Node> root = ParseYaml(text, error, observer);
  if (!root) diags.Error({path, error.line, error.column}, "invalid YAML: " + error.message);
  return root;
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

YamlMap::YamlMap(const YAML::Node& node, std::string file, Diagnostics& diags, std::string what)
    : node_(node),
      file_(std::move(file)),
      diags_(diags),
      what_(std::move(what)),
      valid_(node_.IsMap()) {
  if (!valid_) {
    diags_.Error(PositionOf(file_, node_), what_ + " must be a mapping of keys to values");
    return;
  }
  entries_.reserve(node_.size());
  for (const auto& entry : node_)
    entries_.push_back({entry.first.Scalar(), entry.first, entry.second});
  // yaml-cpp keeps both entries of a repeated key; the getters would see the
  // first one only, silently. Most mappings have a handful of keys: compared
  // pairwise, they need no set.
  constexpr std::size_t kPairwiseLimit = 32;
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const std::string_view name = entries_[i].name;
    const bool repeated =
        entries_.size() <= kPairwiseLimit
            ? std::any_of(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                          [name](const Entry& earlier) { return earlier.name == name; })
            : !seen.insert(name).second;
    if (repeated) {
      diags_.Error(PositionOf(file_, entries_[i].key),
                   "key " + Quoted(name) + " is given twice in " + what_);
    }
  }
}

SourcePosition YamlMap::PositionOfKey(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.name == key) return PositionOf(file_, entry.value);
  }
  return PositionOf(file_, node_);
}

bool YamlMap::Has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [key](const Entry& entry) { return entry.name == key; });
}

YAML::Node YamlMap::Lookup(std::string_view key, Required required) {
  known_.emplace_back(key);
  for (const Entry& entry : entries_) {
    if (entry.name == key) return entry.value;
  }
  if (valid_ && required == Required::kYes) {
    diags_.Error(PositionOf(file_, node_), what_ + " is missing required key " + Quoted(key));
  }
  if (!undefined_) undefined_.emplace(YAML::NodeType::Undefined);
  return *undefined_;
}

void YamlMap::WrongType(const YAML::Node& value, std::string_view key, std::string_view expected) {
  diags_.Error(PositionOf(file_, value),
               Quoted(key) + " in " + what_ + " must be " + std::string(expected));
}

std::optional<std::string> YamlMap::String(std::string_view key, Required required) {
  YAML::Node value = Lookup(key, required);
  if (!value.IsDefined()) return std::nullopt;
  if (!value.IsScalar()) {
    WrongType(value, key, "a string");
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<bool> YamlMap::Bool(std::string_view key, Required required) {
  YAML::Node value = Lookup(key, required);
  if (!value.IsDefined()) return std::nullopt;
  bool out = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) {
    WrongType(value, key, "true or false");
    return std::nullopt;
  }
  return out;
}

std::optional<double> YamlMap::Number(std::string_view key, Required required) {
  YAML::Node value = Lookup(key, required);
  if (!value.IsDefined()) return std::nullopt;
  double out = 0;
  if (!value.IsScalar() || !YAML::convert<double>::decode(value, out)) {
    WrongType(value, key, "a number");
    return std::nullopt;
  }
  return out;
}

std::optional<std::int64_t> YamlMap::Integer(std::string_view key, Required required) {
  YAML::Node value = Lookup(key, required);
  if (!value.IsDefined()) return std::nullopt;
  std::int64_t out = 0;
  if (!value.IsScalar() || !YAML::convert<std::int64_t>::decode(value, out)) {
    WrongType(value, key, "a whole number");
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> YamlMap::StringList(std::string_view key,
                                                            Required required) {
  YAML::Node value = Lookup(key, required);
  if (!value.IsDefined()) return std::nullopt;
  if (value.IsScalar()) return std::vector<std::string>{value.Scalar()};
  if (!value.IsSequence()) {
    WrongType(value, key, "a string or a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) {
      WrongType(item, key, "a list of strings");
      return std::nullopt;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

YAML::Node YamlMap::Node(std::string_view key, Required required) { return Lookup(key, required); }

void YamlMap::RejectUnknownKeys() {
  for (const Entry& entry : entries_) {
    if (std::find(known_.begin(), known_.end(), entry.name) != known_.end()) continue;
    std::string message = "unknown key " + Quoted(entry.name) + " in " + what_;
    if (std::string near = ClosestMatch(entry.name, known_); !near.empty()) {
      message += " (did you mean " + Quoted(near) + "?)";
    }
    diags_.Error(PositionOf(file_, entry.key), message);
  }
}

}  // namespace metrics_adapter
