// The registry of built-in parsers, by name, with the options each takes.
//
// Each parser declares its options once (name, default, help); that table
// validates rule files and configs (unknown options are errors, with a
// suggestion) and is the reference parsers/README.md documents.
//
// Usage:
//   const ParserInfo* info = FindParser("keyvalue");
//   ParserOptions options = info->Defaults();
//   options.Set("separator", ":");
//   std::unique_ptr<Parser> parser = info->create(options);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

enum class ParserUnit {
  kLine,  // one line at a time (streamed sources split their input into lines)
  kBody,  // a whole response body (pulled sources)
};

struct ParserOptionSpec {
  std::string_view name;
  std::string_view default_value;
  std::string_view help;
};

// Option values by name, as strings; every option of the parser is present
// (defaults filled in). Typed getters interpret them.
class ParserOptions {
 public:
  void Set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }
  const std::string& Get(const std::string& name) const;  // "" if absent
  bool Bool(const std::string& name) const;               // "true" -> true
  const std::map<std::string, std::string>& all() const { return values_; }
  bool operator==(const ParserOptions&) const = default;

 private:
  std::map<std::string, std::string> values_;
};

struct ParserInfo {
  std::string_view name;
  std::string_view help;  // one line, for --help and error messages
  ParserUnit unit;
  std::vector<ParserOptionSpec> options;
  // Creates a parser; `options` holds every option of this parser. Returns
  // null with *error set when an option value is invalid (e.g. an empty
  // separator).
  std::unique_ptr<Parser> (*create)(const ParserOptions& options, std::string* error);
  // Whether ParseStreamLine keeps state from one line to the next (csv: the
  // header row names the cells of the rows after it). A stream whose lines
  // are independent may be parsed by several parser objects at once.
  bool stream_state = false;

  ParserOptions Defaults() const;
  bool HasOption(std::string_view option) const;
};

// Every built-in parser, in the order documented.
const std::vector<ParserInfo>& BuiltinParsers();

// The parser called `name`, or nullptr.
const ParserInfo* FindParser(std::string_view name);

// "line, json, ..." for error messages.
std::string ParserNames();

}  // namespace metrics_adapter
