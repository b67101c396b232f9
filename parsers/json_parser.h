// The `json` parser: flattens a JSON document (a status page such as nginx
// plus's /api) into one record per leaf. Objects give paths joined with the
// path separator, array elements their index: `servers.0.requests`.
//
// Leaves: a number gives a record with that value; true/false give 1/0; a
// string gives a record with no value and the label `value` = the string;
// null gives no record. Record text = the path (empty for a document that is
// a bare scalar). Keys are used as they are: a key that contains the path
// separator is not escaped.
//
// The document is validated whole by simdjson (SIMD structural scan, number
// and UTF-8 validation) before any record is emitted, so a damaged body gives
// no records at all rather than the part before the damage: a scrape never
// shows half a status page. simdjson reads a 100 KiB page in tens of
// microseconds, several times faster than a scalar SAX reader; its buffers
// and the path string are reused, so steady-state parsing does not allocate.
//
// Parse errors (the body gives no records):
//   invalid_json  not JSON (also an empty body, junk after the document,
//                 invalid UTF-8, or a number beyond 64-bit integers/doubles)
//   too_deep      objects/arrays nested deeper than kMaxDepth
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "parsers/parser.h"

namespace metrics_adapter {

class ParserOptions;

class JsonParser : public Parser {
 public:
  // Deeper documents are refused rather than flattened: real status pages
  // nest a handful of levels, and a bound keeps the walk's recursion small.
  static constexpr std::size_t kMaxDepth = 64;

  struct Options {
    std::string path_separator = ".";
  };

  // Creates a parser from the registry's option table. Returns null with
  // *error set when a value is invalid (an empty path_separator).
  static std::unique_ptr<Parser> Create(const ParserOptions& options, std::string* error);

  explicit JsonParser(Options options);
  ~JsonParser() override;

  void Parse(std::string_view unit, RecordSink& sink) override;
  // A streamed line is one document, one event (a JSON-lines log): each of
  // its records also carries every scalar leaf of the line as a label named
  // by the leaf's path, its text as written for strings, "true"/"false",
  // and the shortest decimal that reads back the same for numbers (as
  // logfmt's records carry all the line's pairs). So a rule on `duration`
  // can label by ${label.method} and ${label.status}, or require a value
  // with match_labels. A string leaf's own `value` label comes first. A
  // line that is JSON but for invalid UTF-8 (a log writer copying a
  // client's bytes into a string, as nginx's escape=json does) is read with
  // each invalid sequence replaced by U+FFFD, not refused: it is one event
  // all the same. A body (Parse) with invalid UTF-8 stays invalid_json.
  void ParseStreamLine(std::string_view line, RecordSink& sink) override;

 private:
  // simdjson's parser and the reused buffers; kept out of this header so
  // simdjson's configuration macros cannot differ between files.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace metrics_adapter
