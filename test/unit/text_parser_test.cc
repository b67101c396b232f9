// The text parser: the whole body is one record, even when empty.
#include "parsers/text_parser.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

struct Collector : RecordSink {
  std::vector<std::string> texts;
  int with_value = 0;
  int with_labels = 0;
  int errors = 0;

  void OnRecord(const Record& record) override {
    texts.emplace_back(record.text);
    if (record.value) ++with_value;
    if (!record.labels.empty()) ++with_labels;
  }
  void OnParseError(std::string_view) override { ++errors; }
};

std::unique_ptr<Parser> MakeParser() {
  const ParserInfo* info = FindParser("text");
  REQUIRE(info != nullptr);
  std::string error;
  std::unique_ptr<Parser> parser = info->create(info->Defaults(), &error);
  REQUIRE(parser != nullptr);
  return parser;
}

TEST_CASE("text: an nginx stub_status page is one record") {
  const std::string body =
      "Active connections: 291 \n"
      "server accepts handled requests\n"
      " 16630948 16630948 31070465 \n"
      "Reading: 6 Writing: 179 Waiting: 106 \n";
  Collector sink;
  MakeParser()->Parse(body, sink);
  CHECK(sink.texts == std::vector<std::string>{body});
  CHECK(sink.with_value == 0);
  CHECK(sink.with_labels == 0);
  CHECK(sink.errors == 0);
}

TEST_CASE("text: an empty body is one record with empty text") {
  Collector sink;
  MakeParser()->Parse("", sink);
  CHECK(sink.texts == std::vector<std::string>{""});
}

TEST_CASE("text: bytes are passed through untouched") {
  const std::string body("a\0b\r\n\xff", 6);
  Collector sink;
  MakeParser()->Parse(body, sink);
  CHECK(sink.texts == std::vector<std::string>{body});
}

TEST_CASE("text: the registry lists it for bodies, with no options") {
  CheckRegisteredWithoutOptions("text", ParserUnit::kBody, "Active connections: 1\n");
}

}  // namespace
}  // namespace metrics_adapter
