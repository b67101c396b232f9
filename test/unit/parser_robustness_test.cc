// Every built-in parser against damaged input: valid samples of each format
// cut short, with bytes flipped, inserted or repeated, and plain noise. Run
// under AddressSanitizer and UndefinedBehaviorSanitizer in the test suite,
// this checks that no input crashes a parser, reads out of bounds or throws;
// that records only point at readable bytes; and that parse-error reasons
// stay a small snake_case set (they become metric labels).
#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

// Deterministic, so a failure reproduces.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return bound == 0 ? 0 : (state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_;
};

// Reads every byte a record points at, so ASan sees a dangling view.
struct TouchingSink : RecordSink {
  std::uint64_t checksum = 0;
  std::uint64_t records = 0;
  std::set<std::string> reasons;
  void Touch(std::string_view text) {
    for (char c : text) checksum = checksum * 31 + static_cast<unsigned char>(c);
  }
  void OnRecord(const Record& record) override {
    ++records;
    Touch(record.text);
    for (const RecordLabel& label : record.labels) {
      Touch(label.name);
      Touch(label.value);
    }
  }
  void OnParseError(std::string_view reason) override { reasons.emplace(reason); }
};

// A few valid inputs per format, the seeds of the damage.
const std::map<std::string, std::vector<std::string>>& Samples() {
  static const auto* samples = new std::map<std::string, std::vector<std::string>>{
      {"line", {"127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"c\""}},
      {"keyvalue",
       {"Total Accesses: 12\nBusyWorkers: 1\nScoreboard: __W_\n",
        "# Server\r\nredis_version:7.2.4\r\ndb0:keys=1,expires=0\r\n",
        "STAT pid 1\r\nSTAT curr_connections 10\r\nEND\r\n"}},
      {"text", {"Active connections: 2 \nserver accepts handled requests\n 5 5 9 \n"}},
      {"json",
       {R"({"a": {"b": [1, 2.5, true, null, "x"]}, "c\u00e9": -1e3})", "[[1],[2,[3]]]", "\"s\""}},
      {"csv",
       {"# pxname,svname,scur,status,\nfe,FRONTEND,3,OPEN,\nbe,\"s,1\",\"4\"\"\",UP,\n",
        "a,b\n1,2\n3\n"}},
      {"statsd",
       {"jobs.done:1|c|@0.5|#env:prod,region:eu", "queue:+3|g", "t:12.5|ms", "u:abc|s", "h:1|h"}},
      {"graphite", {"servers.a.load 0.5 1700000000", "cpu;host=a;dc=eu 12 1700000000"}},
      {"influx",
       {"cpu,host=a,region=eu usage=0.5,idle=99i 1700000000000000000",
        "weather,city=x\\ y temp=-3.5,ok=true,note=\"a \\\"b\\\"\""}},
      {"logfmt", {"level=info msg=\"request done\" duration=0.25 status=200 ok"}},
      {"prometheus",
       {"# HELP x X.\n# TYPE x counter\nx_total{a=\"1\",b=\"q\\\"\"} 5 1700000000000\n"
        "h_bucket{le=\"+Inf\"} 3\nnan_metric NaN\n"}},
  };
  return *samples;
}

std::string Damage(const std::string& sample, Random& random) {
  static const char kSpecial[] = {'\0', '\n', '\r', '"', '\\', ',', ':', '=', '|',    '#',
                                  '{',  '}',  '[',  ']', ' ',  ';', '.', '@', '\xff', '\xc3'};
  std::string out = sample;
  for (std::uint64_t edits = 1 + random.Next(4); edits > 0; --edits) {
    const std::size_t at = random.Next(out.size() + 1);
    switch (random.Next(6)) {
      case 0:
        out.resize(at);  // cut short
        break;
      case 1:
        if (at < out.size()) out[at] = kSpecial[random.Next(sizeof kSpecial)];
        break;
      case 2:
        out.insert(at, 1, kSpecial[random.Next(sizeof kSpecial)]);
        break;
      case 3:
        if (at < out.size()) out.erase(at, 1 + random.Next(8));
        break;
      case 4:
        out.insert(at, out.substr(at, 1 + random.Next(16)));  // repeat a piece
        break;
      default:
        out.insert(at, std::string(1 + random.Next(400), '9'));  // a huge number
        break;
    }
  }
  return out;
}

bool IsSnakeCase(const std::string& reason) {
  if (reason.empty() || reason.size() > 40) return false;
  for (char c : reason) {
    if (!(c >= 'a' && c <= 'z') && c != '_') return false;
  }
  return true;
}

TEST_CASE("every parser survives damaged input and reports errors by a fixed reason") {
  for (const ParserInfo& info : BuiltinParsers()) {
    CAPTURE(info.name);
    const auto sample_set = Samples().find(std::string(info.name));
    REQUIRE_MESSAGE(sample_set != Samples().end(), "add samples for the new parser");
    std::string error;
    std::unique_ptr<Parser> parser = info.create(info.Defaults(), &error);
    REQUIRE(parser != nullptr);
    Random random(std::hash<std::string_view>{}(info.name));
    TouchingSink sink;
    for (const std::string& sample : sample_set->second) parser->Parse(sample, sink);
    CHECK(sink.records > 0);  // the samples are valid input
    for (int i = 0; i < 20000; ++i) {
      const std::string& sample = sample_set->second[random.Next(sample_set->second.size())];
      const std::string input = Damage(sample, random);
      CAPTURE(input);
      CHECK_NOTHROW(parser->Parse(input, sink));
    }
    // Noise alone.
    for (int i = 0; i < 200; ++i) {
      std::string noise(random.Next(300), '\0');
      for (char& c : noise) c = static_cast<char>(random.Next(256));
      CHECK_NOTHROW(parser->Parse(noise, sink));
    }
    for (const std::string& reason : sink.reasons) {
      CAPTURE(reason);
      CHECK(IsSnakeCase(reason));
    }
    CHECK(sink.reasons.size() <= 12);  // a fixed set, not one per input
  }
}

}  // namespace
}  // namespace metrics_adapter
