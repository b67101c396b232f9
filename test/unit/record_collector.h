// Test helper: a RecordSink that copies every record and parse error out of
// the callback (records are valid only during it), for parser tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include <charconv>
#include <memory>
#include <sstream>

#include "parsers/parser.h"
#include "parsers/registry.h"

namespace metrics_adapter {

using Labels = std::multimap<std::string, std::string>;

struct Copied {
  std::string text;
  std::optional<double> value;
  Labels labels;
};

struct Collector : RecordSink {
  std::vector<Copied> records;
  std::vector<std::string> errors;
  void OnRecord(const Record& record) override {
    Copied copy{std::string(record.text), record.Number(), {}};
    for (const RecordLabel& label : record.labels) {
      copy.labels.emplace(std::string(label.name), std::string(label.value));
    }
    records.push_back(std::move(copy));
  }
  void OnParseError(std::string_view reason) override { errors.emplace_back(reason); }
};

// What a default-constructed `ParserT` makes of `input`.
template <typename ParserT>
Collector ParseWithDefault(std::string_view input) {
  ParserT parser;
  Collector out;
  parser.Parse(input, out);
  return out;
}

// The one error `ParserT` reports for `input`, which must yield no record.
template <typename ParserT>
std::string OnlyErrorOf(std::string_view input) {
  Collector out = ParseWithDefault<ParserT>(input);
  CHECK(out.records.empty());
  REQUIRE(out.errors.size() == 1);
  return out.errors[0];
}

// Records as "text=value {label=value, ...}" strings (labels sorted, each
// name at most once), for compact expectations on body parsers.
struct PrintingCollector : RecordSink {
  std::vector<std::string> records;
  std::vector<std::string> errors;

  void OnRecord(const Record& record) override {
    std::ostringstream out;
    out << record.text;
    if (const std::optional<double> value = record.Number()) {
      // The shortest text that reads back exactly, so large values are exact.
      char number[64];
      auto [end, ec] = std::to_chars(number, number + sizeof number, *value);
      out << '=' << std::string_view(number, static_cast<std::size_t>(end - number));
    }
    std::map<std::string, std::string> labels;
    for (const RecordLabel& label : record.labels) {
      CHECK(labels.count(std::string(label.name)) == 0);
      labels[std::string(label.name)] = label.value;
    }
    if (!labels.empty()) {
      out << " {";
      const char* comma = "";
      for (const auto& [name, value] : labels) {
        out << comma << name << '=' << value;
        comma = ", ";
      }
      out << '}';
    }
    records.push_back(out.str());
  }
  void OnParseError(std::string_view reason) override { errors.emplace_back(reason); }
};

// The registered parser `name` with its defaults and `overrides`; fails the
// test if an option is unknown or the parser refuses the values.
inline std::unique_ptr<Parser> MakeRegisteredParser(
    std::string_view name, const std::map<std::string, std::string>& overrides = {}) {
  const ParserInfo* info = FindParser(name);
  REQUIRE(info != nullptr);
  ParserOptions options = info->Defaults();
  for (const auto& [option, value] : overrides) {
    REQUIRE(info->HasOption(option));
    options.Set(option, value);
  }
  std::string error;
  std::unique_ptr<Parser> parser = info->create(options, &error);
  REQUIRE_MESSAGE(parser != nullptr, error);
  return parser;
}

// The error the registered parser `name` gives for `overrides` (it must refuse them).
inline std::string RegisteredParserCreateError(
    std::string_view name, const std::map<std::string, std::string>& overrides) {
  const ParserInfo* info = FindParser(name);
  REQUIRE(info != nullptr);
  ParserOptions options = info->Defaults();
  for (const auto& [option, value] : overrides) options.Set(option, value);
  std::string error;
  CHECK(info->create(options, &error) == nullptr);
  return error;
}

// Checks that the registry lists `name` for `unit` with no options, and that
// the parser its defaults make reads `sample` into exactly one record.
inline void CheckRegisteredWithoutOptions(std::string_view name, ParserUnit unit,
                                          std::string_view sample) {
  const ParserInfo* info = FindParser(name);
  REQUIRE(info != nullptr);
  CHECK(info->unit == unit);
  CHECK(info->options.empty());
  std::unique_ptr<Parser> parser = MakeRegisteredParser(name);
  Collector out;
  parser->Parse(sample, out);
  CHECK(out.records.size() == 1);
  CHECK(out.errors.empty());
}

}  // namespace metrics_adapter
