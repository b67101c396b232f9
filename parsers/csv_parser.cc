#include "parsers/csv_parser.h"

#include <algorithm>
#include <utility>

#include "adapter/base/strings.h"
#include "parsers/number.h"
#include "parsers/registry.h"

namespace metrics_adapter {

std::unique_ptr<Parser> CsvParser::Create(const ParserOptions& options, std::string* error) {
  Options parsed;
  const std::string& separator = options.Get("separator");
  // One character: quoting rules and the split loop are defined per character.
  if (separator.size() != 1 || separator[0] == '"' || separator[0] == '\n' ||
      separator[0] == '\r') {
    *error = "csv: separator must be one character other than a quote or a line end";
    return nullptr;
  }
  parsed.separator = separator[0];
  parsed.header_prefix = options.Get("header_prefix");
  if (!SplitNames(options.Get("key_columns"), "key_columns", parsed.key_columns, error) ||
      !SplitNames(options.Get("columns"), "columns", parsed.columns, error)) {
    return nullptr;
  }
  for (const std::string& key : parsed.key_columns) {
    if (!parsed.columns.empty() &&
        std::find(parsed.columns.begin(), parsed.columns.end(), key) == parsed.columns.end()) {
      *error = "csv: key column \"" + key + "\" is not one of the columns";
      return nullptr;
    }
  }
  return std::make_unique<CsvParser>(std::move(parsed));
}

bool CsvParser::SplitNames(std::string_view list, std::string_view option,
                           std::vector<std::string>& names, std::string* error) {
  for (std::size_t start = 0; !list.empty() && start <= list.size();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = Trim(list.substr(start, comma - start), kBlanks);
    start = comma + 1;
    if (name.empty()) {
      *error = "csv: " + std::string(option) + " has an empty column name";
      return false;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      *error = "csv: " + std::string(option) + " names \"" + std::string(name) + "\" twice";
      return false;
    }
    names.emplace_back(name);
  }
  return true;
}

CsvParser::CsvParser(Options options) : options_(std::move(options)) {}

bool CsvParser::UseDeclaredColumns(RecordSink& sink) {
  cells_.assign(options_.columns.begin(), options_.columns.end());
  return UseHeader(sink);
}

bool CsvParser::SkipBlankLines(std::string_view body, std::size_t& pos) {
  while (pos < body.size()) {
    if (body[pos] == '\n') {
      ++pos;
    } else if (body[pos] == '\r' && pos + 1 < body.size() && body[pos + 1] == '\n') {
      pos += 2;
    } else {
      return true;
    }
  }
  return false;
}

namespace {

// The quote that closes a quoted cell whose text starts at `from`, or npos
// when there is none; "" is an escaped quote, not the end, and sets *escaped.
std::size_t FindClosingQuote(std::string_view body, std::size_t from, bool* escaped) {
  std::size_t pos = from;
  while (true) {
    const std::size_t close = body.find('"', pos);
    if (close == std::string_view::npos) return close;
    if (close + 1 < body.size() && body[close + 1] == '"') {
      *escaped = true;
      pos = close + 2;
      continue;
    }
    return close;
  }
}

}  // namespace

CsvParser::RowStatus CsvParser::ReadRow(std::string_view body, std::size_t& pos) {
  cells_.clear();
  unescaped_cells_.clear();
  CellEnd end = CellEnd::kSeparator;
  while (end == CellEnd::kSeparator) {
    const bool quoted = pos < body.size() && body[pos] == '"';
    end = quoted ? ReadQuotedCell(body, pos) : ReadUnquotedCell(body, pos);
  }
  if (end == CellEnd::kBadQuote) return RowStatus::kBadQuote;
  // Now that cells_ and unescaped_ no longer grow, point at the unescaped text.
  for (std::size_t i = 0; i < unescaped_cells_.size(); ++i) {
    cells_[static_cast<std::size_t>(unescaped_cells_[i])] = unescaped_[i];
  }
  return RowStatus::kOk;
}

CsvParser::CellEnd CsvParser::ReadQuotedCell(std::string_view body, std::size_t& pos) {
  // A quoted cell: up to the quote not followed by another; "" is a quote.
  const std::size_t start = ++pos;
  bool escaped = false;
  const std::size_t close = FindClosingQuote(body, start, &escaped);
  if (close == std::string_view::npos) {
    pos = body.size();  // nothing after an unclosed quote can be framed
    return CellEnd::kBadQuote;
  }
  const std::string_view cell = body.substr(start, close - start);
  if (escaped) KeepUnescaped(cell);
  cells_.push_back(cell);  // replaced by the unescaped text at the end of the row
  pos = close + 1;
  return EndOfQuotedCell(body, pos);
}

CsvParser::CellEnd CsvParser::EndOfQuotedCell(std::string_view body, std::size_t& pos) const {
  if (pos < body.size() && body[pos] == options_.separator) {
    ++pos;
    return CellEnd::kSeparator;
  }
  if (pos == body.size()) return CellEnd::kRowEnd;
  if (body[pos] == '\n') {
    ++pos;
    return CellEnd::kRowEnd;
  }
  if (body.substr(pos) == "\r" || body.substr(pos).starts_with("\r\n")) {
    pos = std::min(pos + 2, body.size());
    return CellEnd::kRowEnd;
  }
  // Text after the closing quote: skip to the end of the line.
  const std::size_t newline = body.find('\n', pos);
  pos = newline == std::string_view::npos ? body.size() : newline + 1;
  return CellEnd::kBadQuote;
}

void CsvParser::KeepUnescaped(std::string_view cell) {
  const std::size_t n = unescaped_cells_.size();
  if (unescaped_.size() <= n) unescaped_.emplace_back();
  std::string& out = unescaped_[n];
  out.clear();
  for (std::size_t i = 0; i < cell.size(); ++i) {
    out += cell[i];
    if (cell[i] == '"') ++i;  // the second quote of a pair
  }
  unescaped_cells_.push_back(static_cast<int>(cells_.size()));
}

CsvParser::CellEnd CsvParser::ReadUnquotedCell(std::string_view body, std::size_t& pos) {
  // Up to the separator or the end of the line.
  std::size_t end = pos;
  while (end < body.size() && body[end] != options_.separator && body[end] != '\n') ++end;
  std::string_view cell = body.substr(pos, end - pos);
  if (end < body.size() && body[end] == options_.separator) {
    cells_.push_back(cell);
    pos = end + 1;
    return CellEnd::kSeparator;  // a separator at the end of a line makes a last, empty cell
  }
  if (cell.ends_with('\r')) cell.remove_suffix(1);
  cells_.push_back(cell);
  pos = end == body.size() ? end : end + 1;
  return CellEnd::kRowEnd;
}

bool CsvParser::UseHeader(RecordSink& sink) {
  header_.resize(cells_.size());
  for (std::size_t i = 0; i < cells_.size(); ++i) header_[i].assign(cells_[i]);
  is_key_.assign(header_.size(), 0);
  key_index_.clear();
  for (const std::string& key : options_.key_columns) {
    auto it = std::find(header_.begin(), header_.end(), key);
    if (it == header_.end()) {
      sink.OnParseError("missing_key_column");
      header_usable_ = false;
      return false;
    }
    std::size_t index = static_cast<std::size_t>(it - header_.begin());
    key_index_.push_back(index);
    is_key_[index] = 1;
  }
  labels_.reserve(key_index_.size() + 1);
  header_usable_ = true;
  return true;
}

void CsvParser::EmitRow(RecordSink& sink) {
  labels_.clear();
  for (std::size_t index : key_index_) labels_.push_back({header_[index], cells_[index]});
  const std::size_t key_count = labels_.size();
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    std::string_view cell = cells_[i];
    if (is_key_[i] || cell.empty() || header_[i].empty()) continue;
    // The cell is read as a number only if a rule asks for $value: most
    // cells of a stats page match no rule.
    labels_.push_back({"value", cell});  // within the reserved capacity
    sink.OnRecord(Record{header_[i], std::nullopt, labels_, cell});
    labels_.resize(key_count);
  }
}

void CsvParser::Parse(std::string_view unit, RecordSink& sink) {
  std::size_t pos = 0;
  if (!options_.columns.empty()) {
    if (UseDeclaredColumns(sink)) ParseRows(unit, pos, sink);
    return;
  }
  if (!SkipBlankLines(unit, pos)) {
    sink.OnParseError("missing_header");
    return;
  }
  if (unit.substr(pos).starts_with(options_.header_prefix)) pos += options_.header_prefix.size();
  if (ReadRow(unit, pos) != RowStatus::kOk) {
    // Without a header no row can be read.
    sink.OnParseError("bad_quote");
    return;
  }
  if (!UseHeader(sink)) return;
  ParseRows(unit, pos, sink);
}

void CsvParser::ParseRows(std::string_view unit, std::size_t& pos, RecordSink& sink) {
  while (SkipBlankLines(unit, pos)) {
    if (unit.substr(pos).starts_with(options_.header_prefix)) pos += options_.header_prefix.size();
    if (ReadRow(unit, pos) != RowStatus::kOk) {
      sink.OnParseError("bad_quote");
      continue;
    }
    EmitRowUnlessHeader(sink);
  }
}

void CsvParser::EmitRowUnlessHeader(RecordSink& sink) {
  if (std::equal(cells_.begin(), cells_.end(), header_.begin(), header_.end())) return;
  if (!header_usable_) {
    sink.OnParseError("missing_key_column");
    return;
  }
  if (cells_.size() != header_.size()) {
    sink.OnParseError("ragged_row");
    return;
  }
  EmitRow(sink);
}

void CsvParser::ParseStreamLine(std::string_view line, RecordSink& sink) {
  std::size_t pos = 0;
  if (!SkipBlankLines(line, pos)) return;
  if (line.starts_with(options_.header_prefix)) pos = options_.header_prefix.size();
  if (!stream_header_) {
    stream_header_ = true;
    if (!options_.columns.empty()) {
      UseDeclaredColumns(sink);
    } else if (ReadRow(line, pos) != RowStatus::kOk) {
      stream_header_ = false;  // a header that cannot be read is no header
      sink.OnParseError("bad_quote");
      return;
    } else {
      UseHeader(sink);  // reports a missing key column; rows then report it too
      return;
    }
  }
  if (ReadRow(line, pos) != RowStatus::kOk) {
    sink.OnParseError("bad_quote");
    return;
  }
  EmitRowUnlessHeader(sink);
}

}  // namespace metrics_adapter
