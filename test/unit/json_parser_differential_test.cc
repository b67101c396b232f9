// The json parser against an independent reference: nlohmann_json reads the
// same generated documents into a DOM, a plain recursive walk flattens it,
// and both must give the same records, in the same order, with bit-equal
// values. Damaged copies of the documents must be refused by both.
#include <doctest/doctest.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "parsers/json_parser.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

using Lines = std::vector<std::string>;

// Deterministic pseudo-random numbers, so a failure reproduces.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_;
};

std::string RandomString(Random& random) {
  static const char* const kPieces[] = {
      "a",        "zone", "requests",       ".", "0", "\\\"", "\\n", "\\u00e9",
      "\xc3\xa9", "\\/",  "\\ud83d\\ude00", " "};
  std::string out = "\"";
  for (std::uint64_t n = random.Next(4); n > 0; --n)
    out += kPieces[random.Next(std::size(kPieces))];
  return out + "\"";
}

std::string RandomNumber(Random& random) {
  static const char* const kNumbers[] = {"0",
                                         "-0",
                                         "7",
                                         "-12",
                                         "1.5",
                                         "-0.25",
                                         "1e3",
                                         "2E-4",
                                         "0.1",
                                         "1e308",
                                         "5e-324",
                                         "123456789012345678",
                                         "18446744073709551615",
                                         "-9223372036854775808",
                                         "3.141592653589793",
                                         "1.7976931348623157e308",
                                         "4.9e-324",
                                         "9007199254740993"};
  return kNumbers[random.Next(std::size(kNumbers))];
}

std::string RandomValue(Random& random, int depth) {
  const std::uint64_t kind = random.Next(depth >= 5 ? 5 : 7);
  switch (kind) {
    case 0:
      return RandomNumber(random);
    case 1:
      return RandomString(random);
    case 2:
      return random.Next(2) ? "true" : "false";
    case 3:
      return "null";
    case 4:
      return RandomNumber(random);
    case 5: {
      // Keys unique within the object: JSON leaves duplicates' meaning open
      // (the parser emits each, a DOM keeps one).
      std::string out = "{";
      std::set<std::string> keys;
      for (std::uint64_t n = random.Next(5), i = 0; i < n; ++i) {
        std::string key = RandomString(random);
        if (!keys.insert(nlohmann::json::parse(key).get<std::string>()).second) continue;
        if (keys.size() > 1) out += random.Next(2) ? "," : " ,\n ";
        out += key + ":" + RandomValue(random, depth + 1);
      }
      return out + "}";
    }
    default: {
      std::string out = "[";
      for (std::uint64_t n = random.Next(5), i = 0; i < n; ++i) {
        if (i > 0) out += ", ";
        out += RandomValue(random, depth + 1);
      }
      return out + "]";
    }
  }
}

// The flattening rules of parsers/README.md, written plainly over a DOM that
// keeps members in document order, as the parser emits them.
void Flatten(const nlohmann::ordered_json& value, const std::string& path, bool root, Lines& out) {
  using Type = nlohmann::ordered_json::value_t;
  auto print = [&](double number) {
    char digits[64];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, number);
    out.push_back(path + "=" + std::string(digits, end));
  };
  switch (value.type()) {
    case Type::object:
    case Type::array: {
      std::size_t index = 0;
      for (auto it = value.begin(); it != value.end(); ++it, ++index) {
        const std::string name = value.is_object() ? it.key() : std::to_string(index);
        Flatten(*it, root ? name : path + "." + name, false, out);
      }
      break;
    }
    case Type::boolean:
      print(value.get<bool>() ? 1 : 0);
      break;
    case Type::number_integer:
      print(static_cast<double>(value.get<std::int64_t>()));
      break;
    case Type::number_unsigned:
      print(static_cast<double>(value.get<std::uint64_t>()));
      break;
    case Type::number_float:
      print(value.get<double>());
      break;
    case Type::string:
      out.push_back(path + " {value=" + value.get<std::string>() + "}");
      break;
    default:  // null gives no record
      break;
  }
}

TEST_CASE("json: flattening agrees with nlohmann_json on generated documents") {
  JsonParser parser(JsonParser::Options{});
  Random random(20261125);
  int documents = 0, damaged = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string document = RandomValue(random, 0);
    CAPTURE(document);
    Lines expected;
    Flatten(nlohmann::ordered_json::parse(document), "", true, expected);
    PrintingCollector sink;
    parser.Parse(document, sink);
    CHECK(sink.errors.empty());
    CHECK(sink.records == expected);
    ++documents;

    // A damaged copy (cut short, or a byte replaced) is refused by both, or
    // read alike by both when the damage happens to leave valid JSON.
    std::string broken = document;
    if (random.Next(2)) {
      broken.resize(random.Next(broken.size()));
    } else {
      broken[random.Next(broken.size())] = "{}[],:\"x1"[random.Next(9)];
    }
    CAPTURE(broken);
    PrintingCollector broken_sink;
    parser.Parse(broken, broken_sink);
    if (nlohmann::ordered_json::accept(broken)) {
      CHECK(broken_sink.errors.empty());
    } else {
      ++damaged;
      CHECK(broken_sink.records.empty());
      CHECK(broken_sink.errors == Lines{"invalid_json"});
    }
  }
  CHECK(documents == 3000);
  CHECK(damaged > 1000);  // the damage mostly breaks the document
}

}  // namespace
}  // namespace metrics_adapter
