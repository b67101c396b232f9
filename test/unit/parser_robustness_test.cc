// Every built-in parser against damaged input: the seed inputs of each
// format (test/fuzz/corpus/) cut short, with bytes flipped, inserted or repeated, and plain noise.
// Run under AddressSanitizer and UndefinedBehaviorSanitizer in the test suite, this checks that no
// input crashes a parser, reads out of bounds or throws; that records only point at readable bytes;
// and that parse-error reasons stay a small snake_case set (they become metric labels).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
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

// The valid inputs of a format, the seeds of the damage: the fuzz corpus
// test/fuzz/corpus/<parser>/, shared with the libFuzzer targets.
std::vector<std::string> Samples(std::string_view parser) {
  std::vector<std::string> samples;
  const std::filesystem::path dir =
      std::filesystem::path(METRICS_ADAPTER_SOURCE_DIR) / "test/fuzz/corpus" / parser;
  if (!std::filesystem::is_directory(dir)) return samples;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // a fixed order, so a failure reproduces
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    samples.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return samples;
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

TEST_CASE(
    "every parser survives damaged input, whole and line by line, and reports errors by a fixed "
    "reason") {
  for (const ParserInfo& info : BuiltinParsers()) {
    CAPTURE(info.name);
    const std::vector<std::string> samples = Samples(info.name);
    REQUIRE_MESSAGE(!samples.empty(), "add seed inputs in test/fuzz/corpus/<parser>/");
    std::string error;
    std::unique_ptr<Parser> parser = info.create(info.Defaults(), &error);
    REQUIRE(parser != nullptr);
    // The same parser on a stream: the damaged inputs' lines, one by one,
    // to one parser object that keeps its state between them.
    std::unique_ptr<Parser> streamed = info.create(info.Defaults(), &error);
    REQUIRE(streamed != nullptr);
    Random random(std::hash<std::string_view>{}(info.name));
    TouchingSink sink;
    for (const std::string& sample : samples) parser->Parse(sample, sink);
    CHECK(sink.records > 0);  // the samples are valid input
    for (int i = 0; i < 20000; ++i) {
      const std::string& sample = samples[random.Next(samples.size())];
      const std::string input = Damage(sample, random);
      CAPTURE(input);
      CHECK_NOTHROW(parser->Parse(input, sink));
      for (std::size_t pos = 0; pos <= input.size();) {
        const std::size_t end = std::min(input.find('\n', pos), input.size());
        CHECK_NOTHROW(
            streamed->ParseStreamLine(std::string_view(input).substr(pos, end - pos), sink));
        pos = end + 1;
      }
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
