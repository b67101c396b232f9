// Tests for ParseYaml: the tree libyaml reads is the one YAML::Load builds.

#include "adapter/base/yaml_parse.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

// Every difference between the two trees, one per line, with its path.
void Compare(const YAML::Node& expected, const YAML::Node& actual, const std::string& path,
             std::string& differences) {
  const auto differ = [&](const std::string& what) { differences += path + ": " + what + "\n"; };
  if (expected.Type() != actual.Type()) return differ("type");
  if (expected.Mark().line != actual.Mark().line ||
      expected.Mark().column != actual.Mark().column) {
    differ("mark " + std::to_string(actual.Mark().line) + ":" +
           std::to_string(actual.Mark().column));
  }
  if (expected.Tag() != actual.Tag()) differ("tag " + actual.Tag());
  if (expected.IsScalar() && expected.Scalar() != actual.Scalar()) differ("scalar");
  if (!expected.IsSequence() && !expected.IsMap()) return;
  if (expected.size() != actual.size()) return differ("size");
  auto e = expected.begin();
  auto a = actual.begin();
  for (int i = 0; e != expected.end(); ++e, ++a, ++i) {
    const std::string item = path + "/" + std::to_string(i);
    if (expected.IsSequence()) {
      Compare(*e, *a, item, differences);
    } else {
      Compare(e->first, a->first, item + "key", differences);
      Compare(e->second, a->second, item, differences);
    }
  }
}

std::string Differences(const std::string& text) {
  YamlSyntaxError error;
  std::optional<YAML::Node> parsed = ParseYaml(text, error);
  if (!parsed) return "error: " + error.message;
  std::string differences;
  Compare(YAML::Load(text), *parsed, "", differences);
  return differences;
}

TEST_CASE("ParseYaml builds the tree YAML::Load builds: types, scalars, tags, marks") {
  CHECK(Differences("a: 1\nlist:\n  - x\n  - 'yz'\n  - \"q\"\n") == "");
  CHECK(Differences("- {metric: m, labels: {code: $status}}\n- [a, b, [c]]\n") == "");
  CHECK(Differences("block: |\n  two\n  lines\nfolded: >-\n  one\n  line\n") == "");
  CHECK(Differences("n: ~\nn2: null\nq: \"null\"\nt: !!str null\nlocal: !mine x\n") == "");
  CHECK(Differences("rules:\n- name: a\n  match: '^x$'\n- name: b\n") == "");
  CHECK(Differences("dup: 1\ndup: 2\n") == "");
  CHECK(Differences("# only a comment\n") == "");
  CHECK(Differences("") == "");
  // Columns count bytes, as yaml-cpp's do: "é" is two.
  CHECK(Differences("é: [ä, b]\nk: \"ü x\"\n") == "");
}

TEST_CASE("ParseYaml: an alias shares its anchor's node; only the first document is read") {
  YamlSyntaxError error;
  std::optional<YAML::Node> root = ParseYaml("a: &x {p: 1}\nb: *x\n---\nc: [\n", error);
  REQUIRE(root.has_value());
  CHECK((*root)["b"]["p"].Scalar() == "1");
  CHECK((*root)["a"].is((*root)["b"]));
  CHECK_FALSE((*root)["c"].IsDefined());
}

TEST_CASE("ParseYaml: a key without a value is null, marked on the key's line") {
  YamlSyntaxError error;
  std::optional<YAML::Node> root = ParseYaml("name:\npaths: [a]\n", error);
  REQUIRE(root.has_value());
  CHECK((*root)["name"].IsNull());
  CHECK((*root)["name"].Mark().line == 0);
}

TEST_CASE("ParseYaml tells its observer each scalar value of a mapping as it is parsed") {
  std::vector<std::string> told;
  const ScalarEntryObserver observer = [&told](std::size_t depth, std::string_view key,
                                               std::string_view value) {
    told.push_back(std::to_string(depth) + " " + std::string(key) + "=" + std::string(value));
  };
  YamlSyntaxError error;
  // Not told: a sequence item, a collection value, a null value, a value
  // under a key that is not a scalar. An alias is told as its anchor.
  std::optional<YAML::Node> root = ParseYaml(
      "a: 1\nrules:\n  - {match: 'x\\d', name: r}\n  - plain\nb: &v two\nc: *v\n"
      "d:\n[k]: v\n",
      error, &observer);
  REQUIRE(root.has_value());
  CHECK(told ==
        std::vector<std::string>{"1 a=1", "3 match=x\\d", "3 name=r", "1 b=two", "1 c=two"});

  // Values parsed before a syntax error are told all the same.
  told.clear();
  CHECK_FALSE(ParseYaml("a: 1\nb: [\n", error, &observer).has_value());
  CHECK(told == std::vector<std::string>{"1 a=1"});
}

TEST_CASE("ParseYaml reports errors at their line and byte column") {
  const auto error_of = [](const std::string& text) {
    YamlSyntaxError error;
    CHECK_FALSE(ParseYaml(text, error).has_value());
    return std::to_string(error.line) + ":" + std::to_string(error.column) + " " + error.message;
  };
  CHECK(error_of("a: 1\nb: [1, 2\nc: 3\n") ==
        "3:2 did not find expected ',' or ']' (while parsing a flow sequence that starts at 2:4)");
  CHECK(error_of("a: b: c\n") == "1:5 mapping values are not allowed in this context");
  CHECK(error_of("a: *nope\n") == "1:4 the alias names no anchor defined before it");
  CHECK(error_of("ok: é\nbad: \xff\n") == "2:6 invalid leading UTF-8 octet");
  CHECK(error_of(std::string(1001, '[')) == "1:1001 collections nested deeper than 1000");
}

}  // namespace
}  // namespace metrics_adapter
