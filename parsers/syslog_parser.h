// The `syslog` parser: one syslog message, RFC 5424 or RFC 3164 (BSD), as a
// listener receives it (`<PRI>...`) or as a syslog daemon writes it to a file
// (the same without `<PRI>`, such as `Dec  2 17:00:00 host app[123]: msg`),
// gives one record: text = the message, no value, and the labels
//
//   facility  `kern`, `user`, `mail`, `daemon`, ..., `local7` (from PRI; empty without one)
//   severity  `emerg`, `alert`, `crit`, `err`, `warning`, `notice`, `info`, `debug`
//   hostname  app_name  procid  msgid   (empty where the message has none or `-`)
//
// Every record carries all six labels, so a rule can use ${label.severity}
// or `match_labels: {severity: err}` whatever the sender left out.
//
// The forms read (after an optional `<PRI>`, 0 to 191):
//   RFC 5424  `1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`; a BOM
//             before MSG is removed. Structured data is checked and skipped,
//             not exposed.
//   RFC 3164  `Mmm dd hh:mm:ss [HOSTNAME] TAG[PID]: MSG`, or with an ISO 8601
//             timestamp (`2026-12-02T17:00:00.123+00:00`, rsyslog's file
//             format). A first word that ends in `:` or holds `[` is the tag,
//             so a line without a hostname reads too; a message without a tag
//             (no `word:` after the hostname) is all message.
//
// Parse errors (the line gives no record):
//   bad_pri              `<` without a number of 0 to 191 and `>`
//   bad_version          RFC 5424 with a version other than 1
//   bad_timestamp        no timestamp of either form where one must be
//   missing_field        RFC 5424 header fields missing, or RFC 3164 with
//                        nothing after the timestamp
//   bad_structured_data  RFC 5424 structured data that is neither `-` nor
//                        well-formed `[id name="value" ...]` elements
#pragma once

#include <array>
#include <string_view>

#include "parsers/parser.h"

namespace metrics_adapter {

class SyslogParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;

  // The name of facility code `code` (0..23), as syslog.conf spells it.
  static std::string_view FacilityName(unsigned code);
  // The name of severity code `code` (0..7).
  static std::string_view SeverityName(unsigned code);

 private:
  // Label values of the line being parsed: views into it or static names.
  struct Fields {
    std::string_view facility, severity, hostname, app_name, procid, msgid, message;
  };
  // Reads `<PRI>` at the start of `line` (if any) into `fields` and moves
  // past it; the error reason, or empty.
  static std::string_view ReadPri(std::string_view& line, Fields& fields);
  // The rest of the line after PRI, in each form; the error reason, or empty.
  static std::string_view Read5424(std::string_view rest, Fields& fields);
  static std::string_view Read3164(std::string_view rest, Fields& fields);

  std::array<RecordLabel, 6> labels_;
};

}  // namespace metrics_adapter
