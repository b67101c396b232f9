// The `csv` parser: a body whose first row is a header naming the columns
// (haproxy `;csv` stats, whose header is "# pxname,svname,qcur,...").
//
// Each later row yields one record per non-key column whose cell is not
// empty: text = the column name, value = the cell when it is a number
// (read only if a rule asks for $value), and always the label `value` = the
// cell, for cells such as `status` that are not numbers. Every record of a row carries
// the row's key columns as labels (name -> cell). Columns with an empty
// header name are ignored: haproxy ends the header and every row with a
// separator, which makes a last, nameless, always-empty column.
//
// Quoted cells follow RFC 4180: "a,b" is one cell, "" inside quotes is a
// quote, and a quoted cell may span lines. Cells are not trimmed. Blank
// lines are skipped.
//
// The columns may be declared instead (`columns`): then every row is data.
// Either way a row whose cells equal the header is skipped, so a header
// repeated inside the input is not read as data.
//
// Streams (ParseStreamLine): the lines of a followed file or a listener, one row
// per line (a quoted cell cannot span lines there). With declared columns
// every line is a row; the header line a new or rotated file starts with is
// skipped as above. Without them the first line the parser ever sees is the
// header, and later lines equal to it are skipped: right only when that
// first line is a header, so the config refuses csv without `columns` on a
// source that may start mid-file (see loaded_config.cc).
//
// Parse errors:
//   missing_header      the body has no header row (it is empty or blank)
//   missing_key_column  a key column is not in the header; reported once and
//                       the whole body skipped (records without their key
//                       labels would merge rows into one series); on a
//                       stream, reported again for every row
//   ragged_row          a row with another number of cells than the header; the row is skipped
//   bad_quote           a quoted cell that is not closed, or text after its closing
//                       quote; that row is skipped (an unclosed quote ends the body;
//                       in the header, it ends the body too)
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class ParserOptions;

class CsvParser : public Parser {
 public:
  struct Options {
    char separator = ',';
    std::string header_prefix;             // stripped from the header line if present
    std::vector<std::string> key_columns;  // column names whose cells label every record
    std::vector<std::string> columns;      // declared column names; empty: the header row
  };

  // Creates a parser from the registry's option table. Returns null with
  // *error set when a value is invalid (a separator that is not one
  // character, an empty or repeated key column name).
  static std::unique_ptr<Parser> Create(const ParserOptions& options, std::string* error);

  // `options` must be valid (as Create checks).
  explicit CsvParser(Options options);

  void Parse(std::string_view unit, RecordSink& sink) override;
  void ParseStreamLine(std::string_view line, RecordSink& sink) override;

 private:
  enum class RowStatus { kOk, kBadQuote };
  // What ends a cell: a separator (another cell follows), the end of the
  // row, or a malformed quoted cell (pos is then past its line).
  enum class CellEnd { kSeparator, kRowEnd, kBadQuote };

  // Reads the row starting at `pos` into cells_ and moves `pos` past it.
  RowStatus ReadRow(std::string_view body, std::size_t& pos);
  // Reads the cell starting at `pos` (at its opening quote, or not quoted)
  // into cells_ and moves `pos` past it and what ends it.
  CellEnd ReadQuotedCell(std::string_view body, std::size_t& pos);
  CellEnd ReadUnquotedCell(std::string_view body, std::size_t& pos);
  // After a quoted cell's closing quote, at `pos`: what ends the cell.
  CellEnd EndOfQuotedCell(std::string_view body, std::size_t& pos) const;
  // Keeps the text of `cell` with each "" made one quote, for the cell about
  // to be appended to cells_.
  void KeepUnescaped(std::string_view cell);
  // Skips blank lines; false at the end of the body.
  static bool SkipBlankLines(std::string_view body, std::size_t& pos);
  // Splits a comma-separated list of column names into `names`; false with
  // *error set for an empty or repeated name.
  static bool SplitNames(std::string_view list, std::string_view option,
                         std::vector<std::string>& names, std::string* error);
  // Sets header_ from cells_ and finds the key columns in it.
  bool UseHeader(RecordSink& sink);
  // Sets header_ from options_.columns.
  bool UseDeclaredColumns(RecordSink& sink);
  // Reads and emits the rows of a body from `pos` on.
  void ParseRows(std::string_view unit, std::size_t& pos, RecordSink& sink);
  // Emits the row in cells_, unless it is the header again; reports a ragged
  // row or a header without its key columns.
  void EmitRowUnlessHeader(RecordSink& sink);
  void EmitRow(RecordSink& sink);

  Options options_;
  // Per-body and per-row state, reused across Parse calls so steady-state
  // parsing does not allocate.
  std::vector<std::string_view> cells_;  // the current row: views into the body or unescaped_
  std::vector<int> unescaped_cells_;     // which cells_ point into unescaped_
  std::vector<std::string> unescaped_;   // cells that held "" escapes, unescaped
  std::vector<std::string> header_;      // column names (copied: the header may be unescaped)
  std::vector<std::size_t> key_index_;   // header index of each key column
  std::vector<char> is_key_;             // per header column
  std::vector<RecordLabel> labels_;      // the row's key labels, then `value`
  bool header_usable_ = false;           // header_ holds every key column
  bool stream_header_ = false;           // ParseStreamLine: header_ is set for the stream
};

}  // namespace metrics_adapter
