#include "parsers/logfmt_parser.h"

#include "parsers/number.h"

namespace metrics_adapter {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

void LogfmtParser::Parse(std::string_view unit, RecordSink& sink) {
  const std::string_view line = unit;
  unescaped_.clear();
  unescaped_.reserve(line.size());
  pairs_.clear();

  // Read every pair first: each record carries all the line's pairs as labels.
  // Errors are reported as they are found, before the line's records.
  std::size_t pos = 0;
  while (true) {
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    if (pos == line.size()) break;
    const std::size_t key_start = pos;
    while (pos < line.size() && !IsBlank(line[pos]) && line[pos] != '=' && line[pos] != '"') {
      ++pos;
    }
    const std::string_view key = line.substr(key_start, pos - key_start);
    if (key.empty() || (pos < line.size() && line[pos] == '"')) {
      // "=value" or a quote inside a key: skip the word, keep reading pairs.
      while (pos < line.size() && !IsBlank(line[pos])) ++pos;
      sink.OnParseError("bad_key");
      continue;
    }
    if (pos == line.size() || line[pos] != '=') {
      pairs_.push_back({key, {}});  // a bare key is a flag: value ""
      continue;
    }
    ++pos;  // '='
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      const std::size_t start = unescaped_.size();
      bool closed = false;
      for (; pos < line.size(); ++pos) {
        char c = line[pos];
        if (c == '"') {
          closed = true;
          ++pos;
          break;
        }
        if (c == '\\' && pos + 1 < line.size()) {
          const char next = line[++pos];
          switch (next) {
            case 'n':
              c = '\n';
              break;
            case 't':
              c = '\t';
              break;
            case 'r':
              c = '\r';
              break;
            case '"':
            case '\\':
              c = next;
              break;
            default:
              // Not an escape logfmt writers produce: keep it as written.
              unescaped_ += '\\';
              c = next;
          }
        }
        unescaped_ += c;
      }
      // An unterminated quote swallows the rest of the line; a closing quote
      // glued to more text leaves no way to tell where the next pair starts.
      // Either way the pairs read so far still make records.
      if (!closed || (pos < line.size() && !IsBlank(line[pos]))) {
        sink.OnParseError("bad_quote");
        break;
      }
      pairs_.push_back({key, std::string_view(unescaped_).substr(start)});
    } else {
      const std::size_t start = pos;
      while (pos < line.size() && !IsBlank(line[pos])) ++pos;
      pairs_.push_back({key, line.substr(start, pos - start)});
    }
  }

  for (const RecordLabel& pair : pairs_) {
    sink.OnRecord(Record{pair.name, ParseNumber(pair.value), pairs_});
  }
}

}  // namespace metrics_adapter
