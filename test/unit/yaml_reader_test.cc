// YamlMap, LoadYamlFile and ClosestMatch, and the Diagnostics they report to:
// every message with its exact text and file:line:col.
#include "adapter/base/yaml_reader.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapter/base/bounded_read.h"
#include "adapter/base/diagnostics.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// ---- Diagnostics ----

TEST_CASE("SourcePosition::ToString shows what is known of file, line and column") {
  CHECK(SourcePosition{"a.yaml", 12, 5}.ToString() == "a.yaml:12:5");
  CHECK(SourcePosition{"a.yaml", 12, 0}.ToString() == "a.yaml:12");
  CHECK(SourcePosition{"a.yaml", 0, 0}.ToString() == "a.yaml");
  CHECK(SourcePosition{"a.yaml", 0, 7}.ToString() == "a.yaml");
}

TEST_CASE("SourcePosition::Shifted moves right on the same line, unless the column is unknown") {
  CHECK(SourcePosition{"a.yaml", 3, 5}.Shifted(4).ToString() == "a.yaml:3:9");
  CHECK(SourcePosition{"a.yaml", 3, 0}.Shifted(4).ToString() == "a.yaml:3");
}

TEST_CASE("PositionOf converts yaml-cpp's 0-based marks to 1-based lines and columns") {
  YAML::Node root = YAML::Load("a: 1\nlist:\n  - x\n  - yz\n");
  CHECK(PositionOf("f.yaml", root["a"]).ToString() == "f.yaml:1:4");
  CHECK(PositionOf("f.yaml", root["list"][1]).ToString() == "f.yaml:4:5");
  // A node built in memory has no mark.
  CHECK(PositionOf("f.yaml", YAML::Node("x")).ToString() == "f.yaml");
}

TEST_CASE("Diagnostics counts errors and warnings and formats them in the order reported") {
  Diagnostics diags;
  CHECK_FALSE(diags.HasErrors());
  CHECK(diags.Format() == "");
  diags.Warning({"r.yaml", 3, 7}, "capture \"x\" is never used");
  CHECK_FALSE(diags.HasErrors());
  diags.Error({"a.yaml", 12, 5}, "unknown key \"mach\"");
  diags.Error({"a.yaml", 0, 0}, "cannot read file: No such file or directory");
  CHECK(diags.HasErrors());
  CHECK(diags.error_count() == 2);
  CHECK(diags.warning_count() == 1);
  REQUIRE(diags.all().size() == 3);
  CHECK(diags.all()[0].severity == Severity::kWarning);
  CHECK(diags.all()[1].ToString() == "a.yaml:12:5: error: unknown key \"mach\"");
  CHECK(diags.Format() ==
        "r.yaml:3:7: warning: capture \"x\" is never used\n"
        "a.yaml:12:5: error: unknown key \"mach\"\n"
        "a.yaml: error: cannot read file: No such file or directory\n");
}

// ---- ReadBoundedFile ----

TEST_CASE("ReadBoundedFile reads a file up to its limit, and refuses a larger one unread") {
  TempDir dir;
  const std::string path = dir.Write("a.yaml", "0123456789");
  std::string text = "old";
  CHECK(ReadBoundedFile(path, 10, &text) == "");
  CHECK(text == "0123456789");
  CHECK(ReadBoundedFile(path, 9, &text) == "file is 10 bytes, over the limit of 9 bytes");
  CHECK(text.empty());
  CHECK(ReadBoundedFile(dir / "missing", 9, &text) ==
        "cannot read file: No such file or directory");
  CHECK(ReadBoundedFile(dir.path(), 9, &text) == "cannot read file: Is a directory");
}

TEST_CASE("ReadBoundedFile stops one byte past the limit where a file has no size") {
  std::string text;
  CHECK(ReadBoundedFile("/dev/zero", 100000, &text) ==
        "file is more than 100000 bytes, over the limit of 100000 bytes");
  CHECK(text.empty());
  CHECK(ReadBoundedFile("/dev/null", 10, &text) == "");
  CHECK(ByteSizeText(kMaxConfigFileBytes) == "16 MiB");
  CHECK(ByteSizeText(1000) == "1000 bytes");
}

// ---- LoadYamlFile ----

TEST_CASE("LoadYamlFile reads a YAML file") {
  TempDir dir;
  Diagnostics diags;
  std::optional<YAML::Node> root = LoadYamlFile(dir.Write("ok.yaml", "a: [1, 2]\n"), diags);
  REQUIRE(root.has_value());
  CHECK((*root)["a"][1].as<int>() == 2);
  CHECK(diags.Format() == "");
}

TEST_CASE("LoadYamlFile reports a missing file with the reason") {
  Diagnostics diags;
  CHECK_FALSE(LoadYamlFile("/nonexistent-dir/adapter.yaml", diags).has_value());
  CHECK(diags.Format() ==
        "/nonexistent-dir/adapter.yaml: error: cannot read file: No such file or directory\n");
}

TEST_CASE("LoadYamlFile reports a syntax error at its line and column") {
  TempDir dir;
  Diagnostics diags;
  const std::string path = dir.Write("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n");
  CHECK_FALSE(LoadYamlFile(path, diags).has_value());
  REQUIRE(diags.all().size() == 1);
  const Diagnostic& d = diags.all()[0];
  CHECK(d.severity == Severity::kError);
  CHECK(d.position.file == path);
  CHECK(d.position.line >= 2);
  CHECK(d.position.column >= 1);
  CHECK(d.message.starts_with("invalid YAML: "));
}

// ---- YamlMap getters ----

TEST_CASE("YamlMap getters return typed values and nullopt for absent keys") {
  Diagnostics diags;
  YamlMap map(YAML::Load("name: web\nenabled: true\nratio: 0.5\ncount: 12\n"
                         "paths: [a, b]\nrules: one.yaml\nnested: {x: 1}\n"),
              "f.yaml", diags, "source");
  CHECK(map.valid());
  CHECK(map.String("name") == "web");
  CHECK(map.Bool("enabled") == true);
  CHECK(map.Number("ratio") == 0.5);
  CHECK(map.Integer("count") == 12);
  CHECK(map.StringList("paths") == std::vector<std::string>{"a", "b"});
  // A single string is a one-element list.
  CHECK(map.StringList("rules") == std::vector<std::string>{"one.yaml"});
  CHECK(map.Node("nested")["x"].as<int>() == 1);
  CHECK_FALSE(map.String("absent").has_value());
  CHECK_FALSE(map.Node("absent").IsDefined());
  map.RejectUnknownKeys();
  CHECK(diags.Format() == "");
}

TEST_CASE("YamlMap reports a missing required key at the mapping") {
  Diagnostics diags;
  YamlMap map(YAML::Load("x: 1\ny:\n  type: file\n"), "f.yaml", diags, "top");
  YamlMap source(map.Node("y"), "f.yaml", diags, "source");
  CHECK_FALSE(source.String("name", Required::kYes).has_value());
  CHECK_FALSE(source.StringList("paths", Required::kYes).has_value());
  CHECK_FALSE(source.Node("rules", Required::kYes).IsDefined());
  CHECK(diags.Format() ==
        "f.yaml:3:3: error: source is missing required key \"name\"\n"
        "f.yaml:3:3: error: source is missing required key \"paths\"\n"
        "f.yaml:3:3: error: source is missing required key \"rules\"\n");
}

TEST_CASE("YamlMap reports values of the wrong type at the value") {
  Diagnostics diags;
  YamlMap map(YAML::Load("name: [a]\n"
                         "enabled: maybe\n"
                         "ratio: lots\n"
                         "count: 1.5\n"
                         "paths: {a: 1}\n"
                         "rules: [a, [b]]\n"),
              "f.yaml", diags, "source");
  CHECK_FALSE(map.String("name").has_value());
  CHECK_FALSE(map.Bool("enabled").has_value());
  CHECK_FALSE(map.Number("ratio").has_value());
  CHECK_FALSE(map.Integer("count").has_value());
  CHECK_FALSE(map.StringList("paths").has_value());
  CHECK_FALSE(map.StringList("rules").has_value());
  map.RejectUnknownKeys();
  CHECK(diags.Format() ==
        "f.yaml:1:7: error: \"name\" in source must be a string\n"
        "f.yaml:2:10: error: \"enabled\" in source must be true or false\n"
        "f.yaml:3:8: error: \"ratio\" in source must be a number\n"
        "f.yaml:4:8: error: \"count\" in source must be a whole number\n"
        "f.yaml:5:8: error: \"paths\" in source must be a string or a list of strings\n"
        "f.yaml:6:12: error: \"rules\" in source must be a list of strings\n");
}

// BUG: a key written without a value ("name:") is a null node, whose yaml-cpp
// mark is where the next token starts: the error points at the start of the
// next line (here 3:1, past the end of "name:"), not at the key. Suggested
// fix: in YamlMap::WrongType, use the key's position when the value is null.
TEST_CASE("a key without a value is reported on its own line" * doctest::skip()) {
  Diagnostics diags;
  YamlMap map(YAML::Load("type: file\nname:\npaths: [a]\n"), "f.yaml", diags, "source");
  CHECK_FALSE(map.String("name").has_value());
  CHECK(diags.Format() == "f.yaml:2:1: error: \"name\" in source must be a string\n");
}

TEST_CASE("YamlMap on a node that is not a mapping reports it once and yields nothing") {
  Diagnostics diags;
  YAML::Node root = YAML::Load("sources:\n  - just a string\n");
  YamlMap map(root["sources"][0], "f.yaml", diags, "source");
  CHECK_FALSE(map.valid());
  CHECK_FALSE(map.String("name", Required::kYes).has_value());
  CHECK_FALSE(map.Has("name"));
  map.RejectUnknownKeys();
  CHECK(diags.Format() == "f.yaml:2:5: error: source must be a mapping of keys to values\n");
}

TEST_CASE("YamlMap::Has and PositionOfKey find keys without marking them known") {
  Diagnostics diags;
  YamlMap map(YAML::Load("name: web\nmax_line_bytes: 0\n"), "f.yaml", diags, "source");
  CHECK(map.Has("max_line_bytes"));
  CHECK_FALSE(map.Has("paths"));
  CHECK(map.PositionOfKey("max_line_bytes").ToString() == "f.yaml:2:17");
  // An absent key points at the mapping.
  CHECK(map.PositionOfKey("paths").ToString() == "f.yaml:1:1");
  CHECK(map.position().ToString() == "f.yaml:1:1");
  map.String("name");
  map.RejectUnknownKeys();
  CHECK(diags.Format() == "f.yaml:2:1: error: unknown key \"max_line_bytes\" in source\n");
}

TEST_CASE("YamlMap::RejectUnknownKeys reports every unknown key, suggesting near misses") {
  Diagnostics diags;
  YamlMap map(YAML::Load("name: web\npahts: [a]\nruls: [r]\ncolour: blue\n"), "f.yaml", diags,
              "source");
  map.String("name");
  map.StringList("paths");
  map.StringList("rules");
  map.RejectUnknownKeys();
  CHECK(diags.Format() ==
        "f.yaml:2:1: error: unknown key \"pahts\" in source (did you mean \"paths\"?)\n"
        "f.yaml:3:1: error: unknown key \"ruls\" in source (did you mean \"rules\"?)\n"
        "f.yaml:4:1: error: unknown key \"colour\" in source\n");
}

// BUG: YamlMap silently ignores a key given twice in one mapping (yaml-cpp
// keeps both entries, Lookup returns the first, RejectUnknownKeys skips the
// second because its name is known), so "max_line_bytes: 10" followed later
// by "max_line_bytes: 20" uses 10 without a word.
TEST_CASE("YamlMap reports a key given twice") {
  Diagnostics diags;
  YamlMap map(YAML::Load("name: a\nname: b\n"), "f.yaml", diags, "source");
  map.String("name");
  map.RejectUnknownKeys();
  CHECK(diags.error_count() == 1);
  CHECK(diags.Format().starts_with("f.yaml:2:1: error: "));
}

// ---- ClosestMatch ----

TEST_CASE("ClosestMatch suggests the nearest candidate within a few edits") {
  const std::vector<std::string> keys = {"name",  "type",           "paths",         "parser",
                                         "rules", "from_beginning", "max_line_bytes"};
  CHECK(ClosestMatch("pahts", keys) == "paths");
  CHECK(ClosestMatch("rule", keys) == "rules");
  CHECK(ClosestMatch("nmae", keys) == "name");
  CHECK(ClosestMatch("from_begining", keys) == "from_beginning");
  CHECK(ClosestMatch("max_line_byte", keys) == "max_line_bytes");
}

TEST_CASE("ClosestMatch suggests nothing for unrelated words or no candidates") {
  const std::vector<std::string> keys = {"name", "type", "paths"};
  CHECK(ClosestMatch("colour", keys) == "");
  CHECK(ClosestMatch("listen_address", keys) == "");
  CHECK(ClosestMatch("paths", {}) == "");
}

TEST_CASE("ClosestMatch prefers the first of equally near candidates") {
  CHECK(ClosestMatch("ab", {"ax", "ay"}) == "ax");
}

}  // namespace
}  // namespace metrics_adapter
