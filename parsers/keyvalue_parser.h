// The `keyvalue` parser: a body of `key<separator>value` lines, one record
// per line, such as apache `server-status?auto` ("Total Accesses: 123"),
// redis INFO ("connected_clients:2", with "# Server" comments and \r\n line
// ends) and memcached `stats` ("STAT curr_connections 10", then "END").
//
// Record: text = the key, value = the value when it is a number, and always
// the label `value` = the value text (so rules can use ${label.value} for
// values such as redis `role:master`). With `subfields` set, a value made of
// sub-key/sub-value pairs (redis `db0:keys=1,expires=0`) yields one record
// per pair instead, named `key.subkey`. With `count_key` and
// `count_characters` set, the line whose key is count_key (apache's
// "Scoreboard: _W_K....") yields one record per character of
// count_characters instead, named `key.<character>`, whose value is how
// often the character occurs in the value (0 included).
//
// Parse errors (each line is skipped, the rest of the body still parsed):
//   missing_separator  a line that is not blank, not a comment, and has no
//                      separator; with skip_lines_without_separator it is
//                      skipped silently instead (apache ?auto's first line,
//                      the bare server name)
//   empty_key          a line whose key is empty (": 5")
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "parsers/parser.h"

namespace metrics_adapter {

class ParserOptions;

class KeyValueParser : public Parser {
 public:
  struct Options {
    std::string separator = ":";  // " " means any run of spaces and tabs
    std::string comment_prefix = "#";
    std::string line_prefix;  // stripped; lines without it are skipped
    std::string subfields;    // splits a value into sub-fields ("," for redis)
    std::string subfield_separator = "=";
    // Lines without the separator are not key/value lines (a title, a
    // banner): skip them without a parse error.
    bool skip_lines_without_separator = false;
    // The key whose value is counted character by character, and the
    // characters counted (each once); both empty, or both set.
    std::string count_key;
    std::string count_characters;
  };

  // Creates a parser from the registry's option table. Returns null with
  // *error set when a value is invalid (an empty separator, ...).
  static std::unique_ptr<Parser> Create(const ParserOptions& options, std::string* error);

  // `options` must be valid (as Create checks).
  explicit KeyValueParser(Options options);

  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  void ParseLine(std::string_view line, RecordSink& sink);
  // Emits `key`=`value`, or one record per sub-field when `value` has them.
  void EmitValue(std::string_view key, std::string_view value, RecordSink& sink);
  void EmitRecord(std::string_view key, std::string_view value, RecordSink& sink);
  // Emits `key.<c>` = occurrences of c in `value`, for each c of count_characters.
  void EmitCharacterCounts(std::string_view key, std::string_view value, RecordSink& sink);

  Options options_;
  bool whitespace_separator_;  // separator " ": any run of spaces/tabs
  std::string subfield_key_;   // "key.subkey", reused across records
};

}  // namespace metrics_adapter
