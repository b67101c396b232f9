#include "parsers/logfmt_parser.h"

#include "parsers/number.h"

namespace metrics_adapter {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The position of the first blank at or after `pos`, or the end of `line`.
std::size_t SkipWord(std::string_view line, std::size_t pos) {
  while (pos < line.size() && !IsBlank(line[pos])) ++pos;
  return pos;
}

// The character the escape `\next` stands for. An escape logfmt writers do
// not produce is kept as written: its backslash goes onto `out` here.
char Unescape(char next, std::string& out) {
  switch (next) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case '"':
    case '\\':
      return next;
    default:
      out += '\\';
      return next;
  }
}

// Reads a quoted value from `pos`, just past its opening quote, unescaped
// onto `out`, and moves `pos` past its closing quote. False when the quote is
// not closed or the closing quote is glued to more text.
bool ReadQuotedValue(std::string_view line, std::size_t& pos, std::string& out) {
  bool closed = false;
  for (; pos < line.size(); ++pos) {
    char c = line[pos];
    if (c == '"') {
      closed = true;
      ++pos;
      break;
    }
    if (c == '\\' && pos + 1 < line.size()) c = Unescape(line[++pos], out);
    out += c;
  }
  return closed && (pos == line.size() || IsBlank(line[pos]));
}

enum class PairStatus { kOk, kBadKey, kBadQuote };

// Reads the pair at `pos` (not a blank) onto `pairs` and moves `pos` past it.
// A quoted value's text goes onto `unescaped`, which must not reallocate
// (views into it are kept).
PairStatus ReadPair(std::string_view line, std::size_t& pos, std::vector<RecordLabel>& pairs,
                    std::string& unescaped) {
  const std::size_t key_start = pos;
  while (pos < line.size() && !IsBlank(line[pos]) && line[pos] != '=' && line[pos] != '"') {
    ++pos;
  }
  const std::string_view key = line.substr(key_start, pos - key_start);
  if (key.empty() || (pos < line.size() && line[pos] == '"')) {
    // "=value" or a quote inside a key: skip the word, keep reading pairs.
    pos = SkipWord(line, pos);
    return PairStatus::kBadKey;
  }
  if (pos == line.size() || line[pos] != '=') {
    pairs.push_back({key, {}});  // a bare key is a flag: value ""
    return PairStatus::kOk;
  }
  ++pos;  // '='
  if (pos < line.size() && line[pos] == '"') {
    ++pos;
    const std::size_t start = unescaped.size();
    if (!ReadQuotedValue(line, pos, unescaped)) return PairStatus::kBadQuote;
    pairs.push_back({key, std::string_view(unescaped).substr(start)});
    return PairStatus::kOk;
  }
  const std::size_t start = pos;
  pos = SkipWord(line, pos);
  pairs.push_back({key, line.substr(start, pos - start)});
  return PairStatus::kOk;
}

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
    const PairStatus status = ReadPair(line, pos, pairs_, unescaped_);
    if (status == PairStatus::kBadKey) sink.OnParseError("bad_key");
    // An unterminated quote swallows the rest of the line; a closing quote
    // glued to more text leaves no way to tell where the next pair starts.
    // Either way the pairs read so far still make records.
    if (status == PairStatus::kBadQuote) {
      sink.OnParseError("bad_quote");
      break;
    }
  }

  for (const RecordLabel& pair : pairs_) {
    sink.OnRecord(Record{pair.name, ParseNumber(pair.value), pairs_});
  }
}

}  // namespace metrics_adapter
