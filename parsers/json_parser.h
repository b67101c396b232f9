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
// The document is read with nlohmann_json's SAX interface, not into a DOM:
// the path is one reused string, so flattening costs no allocation per leaf.
//
// Parse errors (both stop parsing; records already emitted stay emitted, so
// a truncated body yields the records before the point of damage):
//   invalid_json  not JSON (also an empty body, or junk after the document)
//   too_deep      objects/arrays nested deeper than kMaxDepth
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class ParserOptions;

class JsonParser : public Parser {
 public:
  // Deeper documents are refused rather than flattened: real status pages
  // nest a handful of levels, and a bound keeps the path stack small.
  static constexpr std::size_t kMaxDepth = 64;

  struct Options {
    std::string path_separator = ".";
  };

  // Creates a parser from the registry's option table. Returns null with
  // *error set when a value is invalid (an empty path_separator).
  static std::unique_ptr<Parser> Create(const ParserOptions& options, std::string* error);

  explicit JsonParser(Options options);

  void Parse(std::string_view unit, RecordSink& sink) override;

  // One open object or array.
  struct Frame {
    std::size_t path_size;  // length of the container's own path
    bool is_array;
    std::size_t next_index;  // arrays: index of the next element
  };

 private:
  Options options_;
  // Reused across Parse calls so steady-state parsing does not allocate.
  std::string path_;
  std::vector<Frame> frames_;
};

}  // namespace metrics_adapter
