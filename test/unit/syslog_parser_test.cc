// The syslog parser: RFC 5424 and RFC 3164 messages as received and as
// written to files, and malformed lines by reason.
#include "parsers/syslog_parser.h"

#include <doctest/doctest.h>

#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

// The one record of `line` as "message {labels}" (empty labels included).
std::string One(std::string_view line) {
  SyslogParser parser;
  PrintingCollector out;
  parser.Parse(line, out);
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  return out.records[0];
}

TEST_CASE(
    "syslog reads RFC 5424: header fields, nil values, structured data skipped, BOM removed") {
  CHECK(One("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
            "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
            "\xEF\xBB\xBF"
            "An application event log entry") ==
        "An application event log entry {app_name=evntslog, facility=local4, "
        "hostname=mymachine.example.com, msgid=ID47, procid=, severity=notice}");
  CHECK(One("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed") ==
        "'su root' failed {app_name=su, facility=auth, hostname=mymachine.example.com, "
        "msgid=ID47, procid=, severity=crit}");
  // Everything nil, no message; two SD elements, one holding escapes.
  CHECK(One("<0>1 - - - - - -") ==
        " {app_name=, facility=kern, hostname=, msgid=, procid=, severity=emerg}");
  CHECK(One("<191>1 2026-12-02T17:00:00+01:00 h a 42 m [a@1 x=\"q\\\"]\"][b@2] msg") ==
        "msg {app_name=a, facility=local7, hostname=h, msgid=m, procid=42, severity=debug}");
}

TEST_CASE("syslog reads RFC 3164 with and without PRI, hostname or tag") {
  CHECK(One("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8") ==
        "'su root' failed for lonvick on /dev/pts/8 {app_name=su, facility=auth, "
        "hostname=mymachine, msgid=, procid=, severity=crit}");
  // The file form a syslog daemon writes: no PRI, the day padded with a space.
  CHECK(One("Dec  2 17:00:00 host app[123]: request done") ==
        "request done {app_name=app, facility=, hostname=host, msgid=, procid=123, severity=}");
  // No hostname: the first word is the tag.
  CHECK(One("<13>Dec  2 17:00:00 cron[9]: job ran") ==
        "job ran {app_name=cron, facility=user, hostname=, msgid=, procid=9, severity=notice}");
  // No tag: the rest is all message.
  CHECK(One("<30>Dec 12 01:02:03 host just a message") ==
        "just a message {app_name=, facility=daemon, hostname=host, msgid=, procid=, "
        "severity=info}");
  // rsyslog's file format: an ISO 8601 timestamp.
  CHECK(One("2026-12-02T17:00:00.123456+00:00 web01 nginx[7]: GET / 200") ==
        "GET / 200 {app_name=nginx, facility=, hostname=web01, msgid=, procid=7, severity=}");
}

TEST_CASE("syslog names every facility and severity") {
  CHECK(SyslogParser::FacilityName(3) == "daemon");
  CHECK(SyslogParser::FacilityName(10) == "authpriv");
  CHECK(SyslogParser::FacilityName(16) == "local0");
  CHECK(SyslogParser::FacilityName(23) == "local7");
  CHECK(SyslogParser::FacilityName(24).empty());
  CHECK(SyslogParser::SeverityName(3) == "err");
  CHECK(SyslogParser::SeverityName(4) == "warning");
  CHECK(SyslogParser::SeverityName(8).empty());
}

TEST_CASE("syslog reports malformed lines by reason and gives no record for them") {
  CHECK(OnlyErrorOf<SyslogParser>("<192>1 - - - - - -") == "bad_pri");
  CHECK(OnlyErrorOf<SyslogParser>("<>Dec  2 17:00:00 h a: m") == "bad_pri");
  CHECK(OnlyErrorOf<SyslogParser>("<1x>Dec  2 17:00:00 h a: m") == "bad_pri");
  CHECK(OnlyErrorOf<SyslogParser>("<0013>Dec  2 17:00:00 h a: m") == "bad_pri");
  CHECK(OnlyErrorOf<SyslogParser>("<13") == "bad_pri");
  CHECK(OnlyErrorOf<SyslogParser>("<13>2 - - - - - -") == "bad_version");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 yesterday h a p m - x") == "bad_timestamp");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 - h a p") == "missing_field");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 - h a p m") == "missing_field");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 - h a p m [unclosed x=\"1\" msg") ==
        "bad_structured_data");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 - h a p m [] msg") == "bad_structured_data");
  CHECK(OnlyErrorOf<SyslogParser>("<13>1 - h a p m [a@1]msg") == "bad_structured_data");
  CHECK(OnlyErrorOf<SyslogParser>("just some text") == "bad_timestamp");
  CHECK(OnlyErrorOf<SyslogParser>("") == "bad_timestamp");
  CHECK(OnlyErrorOf<SyslogParser>("Dec 32 17:00:00") == "missing_field");
  CHECK(OnlyErrorOf<SyslogParser>("Foo  2 17:00:00 h a: m") == "bad_timestamp");
  CHECK(OnlyErrorOf<SyslogParser>("2026-12-02T17:00:00Z") == "missing_field");
}

TEST_CASE("syslog is registered as a line parser without options") {
  CheckRegisteredWithoutOptions("syslog", ParserUnit::kLine, "<13>Dec  2 17:00:00 h a: m");
}

}  // namespace
}  // namespace metrics_adapter
