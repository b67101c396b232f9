// YamlMap reads one YAML mapping of a user's file with typed getters that
// report every problem (wrong type, missing key, unknown key) to Diagnostics
// with its file:line:col, instead of throwing at the first one.
//
// Usage:
//   YamlMap source(node, "adapter.yaml", diags, "source");
//   auto name = source.String("name", Required::kYes);
//   auto from_start = source.Bool("from_beginning").value_or(false);
//   source.RejectUnknownKeys();  // "unknown key \"pahts\" in source (did you mean \"paths\"?)"
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/base/yaml_parse.h"

namespace metrics_adapter {

enum class Required { kNo, kYes };

// Loads a whole YAML file. On a missing file, a file over
// kMaxConfigFileBytes (bounded_read.h; checked before it is read) or a syntax
// error reports it and returns std::nullopt. `observer`: see ParseYaml.
std::optional<YAML::Node> LoadYamlFile(const std::string& path, Diagnostics& diags,
                                       const ScalarEntryObserver* observer = nullptr);

class YamlMap {
 public:
  // `what` names the mapping in messages ("source", "rule \"request\"").
  // A node that is not a mapping is reported once; getters then return nullopt.
  YamlMap(const YAML::Node& node, std::string file, Diagnostics& diags, std::string what);

  bool valid() const { return valid_; }
  const std::string& file() const { return file_; }
  SourcePosition position() const { return PositionOf(file_, node_); }
  // The position of `key`'s value, or of the mapping if the key is absent.
  SourcePosition PositionOfKey(std::string_view key) const;

  // Each getter marks `key` as known. Absent keys give nullopt (reported when
  // required); a value of the wrong type is reported and gives nullopt.
  std::optional<std::string> String(std::string_view key, Required required = Required::kNo);
  std::optional<bool> Bool(std::string_view key, Required required = Required::kNo);
  std::optional<double> Number(std::string_view key, Required required = Required::kNo);
  std::optional<std::int64_t> Integer(std::string_view key, Required required = Required::kNo);
  // A sequence of strings; a single string is accepted as a one-element list.
  std::optional<std::vector<std::string>> StringList(std::string_view key,
                                                     Required required = Required::kNo);
  // The raw node (undefined when absent), for nested structures.
  YAML::Node Node(std::string_view key, Required required = Required::kNo);
  bool Has(std::string_view key) const;

  // Reports every key no getter asked for, with a suggestion when one of the
  // known keys is a near miss.
  void RejectUnknownKeys();

 private:
  YAML::Node Lookup(std::string_view key, Required required);
  void WrongType(const YAML::Node& value, std::string_view key, std::string_view expected);

  YAML::Node node_;
  // The mapping's entries, read once: walking a yaml-cpp map builds a Node
  // pair per entry, which every look-up would pay again.
  struct Entry {
    std::string_view name;  // key.Scalar(), which `key` keeps alive
    YAML::Node key;
    YAML::Node value;
  };
  std::vector<Entry> entries_;
  std::string file_;
  Diagnostics& diags_;
  std::string what_;
  bool valid_;
  // Every key a getter asked for, present or not: the suggestions for an
  // unknown key.
  std::vector<std::string> known_;
  // What a look-up of an absent key returns, made at the first one: a
  // yaml-cpp node of its own costs several allocations, and most look-ups
  // are of optional keys that are absent.
  std::optional<YAML::Node> undefined_;
};

// The closest of `candidates` to `word` when it is a plausible typo, else "".
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace metrics_adapter
