// A web server's access-log format, read into the one model both servers'
// translators produce: literal text and fields, each field with what it
// means for the HTTP families (rules/schema/http.yaml) and the regex that
// matches every value the server can write for it.
//
// Produced by ParseNginxLogFormat (nginx_log_format.h) and
// ParseApacheLogFormat (apache_log_format.h); turned into a rule file by
// WriteRuleFile (rule_file_writer.h).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

// What a field means for the HTTP families. The first field of a role is
// captured; a later one of the same role is matched and skipped.
enum class FieldRole {
  kSkipped,      // matched and ignored
  kRequestLine,  // "METHOD target protocol" as the client sent it
  kMethod,       // the method alone
  kStatus,       // the final status code
  kBodyBytes,    // response body bytes ("-" for none: counted as 0)
  kTotalBytes,   // response bytes with headers (used when no body-bytes field exists)
  kDuration,     // time taken to serve the request, in `duration_unit`
  // The upstream response times of a proxied request, a list as nginx's
  // $upstream_response_time writes it; the last entry (the upstream whose
  // response was sent) is read, in seconds; "-" is none.
  kUpstreamDuration,
};

// How the server writes a '"' (and other bytes a client controls) inside a
// field's value. It decides which bytes a value can never hold, so that the
// literal byte after a client-controlled field ends it.
enum class Escaping {
  kHex,        // nginx's default: '"', '\' and control bytes as \xHH
  kBackslash,  // Apache, nginx's escape=json: '"' as \" and '\' as \\; control bytes escaped
  kNone,       // nginx's escape=none: nothing; a value may hold any byte but a newline
};

struct FormatField {
  std::string name;          // as written in the format: "$status", "%>s", "%{User-agent}i"
  std::size_t position = 0;  // 1-based column of the field in the format string
  FieldRole role = FieldRole::kSkipped;
  std::string duration_unit;  // kDuration: "s", "ms" or "us" (a rule's emit unit)
  // For server-written values of a known shape, the regex of that shape
  // (e.g. "\d+" or "\S+"); empty for text a client controls, which is
  // matched by what the escaping and the next literal byte allow.
  std::string shape;
  // Two values in the shape for the synthetic test lines: the first for an
  // ordinary request, the second for the odd one (used for kSkipped fields;
  // the writer chooses the others).
  std::array<std::string, 2> sample;
};

// One piece of a format: literal text, or one field.
struct FormatItem {
  std::string literal;  // non-empty for literal text
  FormatField field;    // when `literal` is empty
  bool is_field() const { return literal.empty(); }
};

struct LogFormat {
  std::string server;  // "nginx" or "apache": named in the rule file's comments
  std::string name;    // the format's name in the directive, if one was given
  std::string format;  // the format string, as the server reads it (unquoted, joined)
  Escaping escaping = Escaping::kHex;
  std::vector<FormatItem> items;
};

// Appends `text` to the items, merging it with a literal before it.
void AppendLiteral(std::string_view text, std::vector<FormatItem>& items);

// Appends a field a reader found in the format: first the literal text
// gathered before it (AppendLiteral), which is then cleared, then `field`
// at `position`, its 1-based column in the reader's input.
void AppendField(FormatField field, std::size_t position, std::string& literal,
                 std::vector<FormatItem>& items);

// A format string given bare, not inside its directive: sets *format to
// `text` without the line breaks a shell leaves at its end, and *columns to
// each of its bytes' column (1-based) in `text`.
void ReadBareFormat(std::string_view text, std::string* format, std::vector<std::size_t>* columns);

}  // namespace metrics_adapter
