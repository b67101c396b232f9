// The rule language's expressions: compiling (precedence, types, every error
// with its offset), evaluating (int64 vs double, runtime errors), and their
// use in rules: values, $(...) labels, when:, label_map, time:, state tables.
#include "rules/expression/compile.h"

#include <doctest/doctest.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/expression/evaluator.h"
#include "rules/rule_loader.h"
#include "rules/rule_set.h"
#include "rules/state/state_pool.h"
#include "rules/state/state_table.h"
#include "rules/time/time_layout.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// Captures a, b, hex, word (groups 1..4); one state table "seen" of one part.
class FakeNames : public ExpressionNames {
 public:
  int Capture(std::string_view name, std::string& error) override {
    const std::vector<std::string> names = {"a", "b", "hex", "word"};
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<int>(i) + 1;
    }
    error = "no capture named \"" + std::string(name) + "\" (its captures: a, b, hex, word)";
    return -1;
  }
  bool IsCapture(std::string_view name) const override {
    return name == "a" || name == "b" || name == "hex" || name == "word";
  }
  bool HasTime() const override { return true; }
  int StateTable(std::string_view name, int& key_parts, std::string& error) override {
    key_parts = 1;
    if (name == "seen") return 0;
    error = "no state table named \"" + std::string(name) + "\"";
    return -1;
  }
};

class FakeEnvironment : public EvalEnvironment {
 public:
  EvalError Time(double& seconds) override {
    seconds = 1000.5;
    return EvalError::kNone;
  }
  double Now() override { return 2000; }
  EvalError StateRead(int, std::span<const std::string_view> key, Value& out) override {
    if (key[0] != "known") return EvalError::kNoValue;
    out = Value::Int(7);
    return EvalError::kNone;
  }
};

struct Result {
  EvalError error = EvalError::kNone;
  Value value;
  std::string text;  // the value as label text
};

// Compiles `text` (as a label expression, which takes any value) and
// evaluates it with captures a="12", b="5", hex="0x961a", word="GET".
Result Eval(const std::string& text, ExprUse use = ExprUse::kText) {
  FakeNames names;
  ExprSyntaxError error;
  auto expr = CompileExpression(text, names, use, error);
  if (!expr) throw std::runtime_error(text + ": " + error.message);
  const std::string line = "12 5 0x961a GET";
  std::vector<re2::StringPiece> captures = {
      re2::StringPiece(line), re2::StringPiece(line.data(), 2),
      re2::StringPiece(line.data() + 3, 1), re2::StringPiece(line.data() + 5, 6),
      re2::StringPiece(line.data() + 12, 3)};
  Record record{line};
  FakeEnvironment environment;
  EvalScratch scratch;
  Result result;
  result.error =
      Evaluate(*expr, EvalInput{&record, captures.data(), &environment}, scratch, result.value);
  if (result.error == EvalError::kNone) {
    std::string_view t;
    ValueText(result.value, scratch, t);
    result.text = std::string(t);
  }
  return result;
}

std::string Text(const std::string& expr, ExprUse use = ExprUse::kText) {
  Result r = Eval(expr, use);
  if (r.error != EvalError::kNone) return "error " + std::string(EvalErrorName(r.error));
  return r.text;
}

std::string Cond(const std::string& expr) { return Text(expr, ExprUse::kCondition); }

// The error compiling `text` gives, as "offset: message".
std::string CompileError(const std::string& text, ExprUse use = ExprUse::kNumber) {
  FakeNames names;
  ExprSyntaxError error;
  if (CompileExpression(text, names, use, error)) return "compiles";
  return std::to_string(error.offset) + ": " + error.message;
}

TEST_CASE("precedence follows the documented table, loosest first") {
  CHECK(Text("1 + 2 * 3") == "7");
  CHECK(Text("(1 + 2) * 3") == "9");
  CHECK(Text("10 - 4 - 3") == "3");  // left-associative
  CHECK(Text("1 << 2 + 1") == "8");  // shifts bind looser than +
  CHECK(Text("6 & 3 | 8") == "10");  // & before |
  CHECK(Text("1 | 6 ^ 3") == "5");   // ^ before |
  CHECK(Text("-2 * 3") == "-6");
  CHECK(Text("~0") == "-1");
  CHECK(Text("$a .. '-' .. 1 + 2") == "12-3");  // .. looser than +
  CHECK(Cond("1 + 2 == 3 && !(2 > 3)") == "true");
  CHECK(Cond("1 == 2 || 3 < 4 && 5 < 4") == "false");
}

TEST_CASE("integers stay int64, / gives a double, // and % round toward negative infinity") {
  CHECK(Eval("$a + $b").value.kind == ValueKind::kInt);
  CHECK(Text("$a + $b") == "17");
  CHECK(Eval("$a / $b").value.kind == ValueKind::kFloat);
  CHECK(Text("$a / $b") == "2.4");
  CHECK(Text("$a / 4") == "3");  // a whole double is written without a fraction
  CHECK(Eval("$a / 4").value.kind == ValueKind::kFloat);
  CHECK(Text("$a // $b") == "2");
  CHECK(Text("7 // -2") == "-4");
  CHECK(Text("-7 % 3") == "2");
  CHECK(Text("7.5 // 2") == "3");
  CHECK(Text("7.5 % 2") == "1.5");
  CHECK(Text("1.5 + 1") == "2.5");
  CHECK(Text("9223372036854775807 + 1") == "9223372036854775808");  // overflow: a double
  CHECK(Eval("9223372036854775807 + 1").value.kind == ValueKind::kFloat);
  CHECK(Text("-9223372036854775808") == "-9223372036854775808");
  CHECK(Text("min($a, $b, 7)") == "5");
  CHECK(Text("max($a, 2.5)") == "12");
  CHECK(Eval("max($a, 2.5)").value.kind == ValueKind::kFloat);
  CHECK(Text("abs(3 - $a)") == "9");
  CHECK(Text("int(7.9)") == "7");
  CHECK(Text("int(-7.9)") == "-7");
}

TEST_CASE("int(text, base) reads hex, octal, binary and decimal words") {
  CHECK(Text("int($hex, 16)") == "38426");
  CHECK(Text("int('961a', 16) >> 8 & 0x7") == "6");
  CHECK(Text("int('0b101', 2)") == "5");
  CHECK(Text("int('17', 8)") == "15");
  CHECK(Text("int('-42', 10)") == "-42");
  CHECK(Text("int('ffffffffffffffff', 16)") == "-1");  // 64 bits read as a bit pattern
  CHECK(Text("int($word, 16)") == "error invalid_int");
  CHECK(Text("int('', 10)") == "error invalid_int");
}

TEST_CASE("comparisons: numbers as numbers, text as text, two captures as numbers when both are") {
  CHECK(Cond("$a > $b") == "true");  // 12 > 5, not "12" < "5"
  CHECK(Cond("$word == 'GET'") == "true");
  CHECK(Cond("$word != \"GET\"") == "false");
  CHECK(Cond("$a >= 12.0") == "true");
  CHECK(Cond("$word < $a") == "false");  // "GET" vs "12": text
  CHECK(Cond("$word > 1") == "error invalid_value");
  CHECK(Cond("has($a) && !(has($b) && $b < 5)") == "true");
}

TEST_CASE("runtime errors give no value, by reason") {
  CHECK(Text("$a / ($b - 5)") == "error division_by_zero");
  CHECK(Text("$a // ($b - 5)") == "error division_by_zero");
  CHECK(Text("$a % ($b - 5)") == "error division_by_zero");
  CHECK(Text("$word + 1") == "error invalid_value");
  CHECK(Text("1 << 64") == "error out_of_range");
  CHECK(Text("1 << ($b - 6)") == "error out_of_range");
  CHECK(Text("state.seen[$a]") == "error no_value");
  CHECK(Text("state.seen['known'] * 2") == "14");
  CHECK(Text("$time + 1") == "1001.5");
  CHECK(Text("now() - $time") == "999.5");
}

TEST_CASE("compile errors name the offset inside the expression") {
  CHECK(CompileError("$a - $bytes_body") ==
        "5: no capture named \"bytes_body\" (its captures: a, b, hex, word)");
  CHECK(CompileError("$a + 'x'") == "5: a string where a number is needed: \"'x'\"");
  CHECK(CompileError("$a / 0") == "5: division by a constant zero");
  CHECK(CompileError("$a // 0.0") == "6: division by a constant zero");
  CHECK(CompileError("$a % 0") == "5: division by a constant zero");
  CHECK(CompileError("$a / 2 & 1") ==
        "0: bit operations take integers, and \"$a / 2\" is a float (int(x) truncates one)");
  CHECK(CompileError("$a", ExprUse::kCondition) ==
        "0: a capture's text where a condition is needed (compare it: == != < <= > >=): \"$a\"");
  CHECK(CompileError("$a > 1") == "0: a condition where a number is needed: \"$a > 1\"");
  CHECK(CompileError("1 < 2 < 3") == "6: comparisons do not chain: write (a < b) && (b < c)");
  CHECK(CompileError("int($a, 7)") == "8: int()'s base must be 2, 8, 10 or 16");
  CHECK(CompileError("int(1.5, 16)") == "4: int(x, base) reads text, and \"1.5\" is a float");
  CHECK(CompileError("mx($a, 1)") == "0: unknown name \"mx\" (did you mean \"max\"?)");
  CHECK(CompileError("min($a)") == "0: \"min\" takes at least 2 argument(s), not 1");
  CHECK(CompileError("has(1)") == "4: has() takes a capture, as has($name)");
  CHECK(CompileError("state.nope[$a]") == "6: no state table named \"nope\"");
  CHECK(CompileError("state.seen[$a, $b]") ==
        "6: state table \"seen\" takes a key of 1 part(s), not 2");
  CHECK(CompileError("($a + 1") == "7: \")\" expected");
  CHECK(CompileError("$a +") == "4: the expression ends too early");
  CHECK(CompileError("$a $b") == "3: unexpected \"b\" (an operator is missing?)");
  CHECK(CompileError("'open") == "0: a string is not closed");
  CHECK(CompileError("$a # 1") == "3: unexpected #");
  CHECK(CompileError("99999999999999999999") ==
        "0: \"99999999999999999999\" is not a 64-bit integer");
}

TEST_CASE("time layouts: strftime-style, unix, unix_ms, rfc3339, in the file's time zone") {
  std::string error;
  double seconds = 0;
  auto clf = TimeLayout::Create("%d/%b/%Y:%H:%M:%S %z", "", error);
  REQUIRE(clf);
  CHECK(clf->Parse("03/Dec/2026:10:00:00 +0100", seconds));
  CHECK(seconds == 1796288400);
  CHECK_FALSE(clf->Parse("03/Dec/2026:10:00:00", seconds));
  CHECK_FALSE(clf->Parse("32/Dec/2026:10:00:00 +0100", seconds));
  auto berlin = TimeLayout::Create("%Y-%m-%d %H:%M:%S", "Europe/Berlin", error);
  REQUIRE(berlin);
  CHECK(berlin->Parse("2026-12-03 10:00:00", seconds));
  CHECK(seconds == 1796288400);  // CET, UTC+1
  CHECK(berlin->Parse("2026-07-03 10:00:00", seconds));
  CHECK(seconds == 1783065600);  // CEST, UTC+2
  auto utc = TimeLayout::Create("%Y-%m-%d %H:%M:%E*S", "", error);
  CHECK(utc->Parse("2026-12-03 09:00:00.25", seconds));
  CHECK(seconds == 1796288400.25);
  auto unix_s = TimeLayout::Create("unix", "", error);
  CHECK(unix_s->Parse("1796288400.5", seconds));
  CHECK(seconds == 1796288400.5);
  CHECK_FALSE(unix_s->Parse("soon", seconds));
  auto unix_ms = TimeLayout::Create("unix_ms", "", error);
  CHECK(unix_ms->Parse("1796288400250", seconds));
  CHECK(seconds == 1796288400.25);
  auto rfc = TimeLayout::Create("rfc3339", "", error);
  CHECK(rfc->Parse("2026-12-03T10:00:00.5+01:00", seconds));
  CHECK(seconds == 1796288400.5);
  CHECK(rfc->Parse("2026-12-03T09:00:00Z", seconds));
  CHECK(seconds == 1796288400);
  CHECK_FALSE(TimeLayout::Create("%Y", "Mars/Olympus", error));
  CHECK(error.find("unknown time zone \"Mars/Olympus\"") == 0);
  CHECK_FALSE(TimeLayout::Create("YYYY-MM-DD", "", error));
  CHECK(error.find("has no % field") != std::string::npos);
}

TEST_CASE("a state table: set, read, delete, ttl, max_keys") {
  auto now = std::chrono::steady_clock::time_point{};
  StateTable table({"f.yaml", "t", 2, 60, 2}, [&] { return now; });
  EvalScratch arena;
  const std::string_view k1[] = {"10.0.0.1", "a"}, k2[] = {"10.0.0.2", "a"},
                         k3[] = {"10.0.0.3", "a"}, split[] = {"10.0.0.1a", ""};
  Value v;
  CHECK(table.Read(k1, v, arena) == EvalError::kNoValue);
  CHECK(table.Set(k1, Value::Int(5), arena) == EvalError::kNone);
  CHECK(table.Read(k1, v, arena) == EvalError::kNone);
  CHECK(v.integer == 5);
  CHECK(table.Read(split, v, arena) == EvalError::kNoValue);  // parts do not run together
  CHECK(table.Set(k2, Value::Float(1.5), arena) == EvalError::kNone);
  CHECK(table.Set(k3, Value::Int(1), arena) == EvalError::kStateFull);  // max_keys 2
  CHECK(table.Set(k1, Value::Int(6), arena) == EvalError::kNone);       // an existing key updates
  CHECK(table.size() == 2);
  table.Delete(k2, arena);
  CHECK(table.Read(k2, v, arena) == EvalError::kNoValue);
  CHECK(table.Set(k3, Value::Int(1), arena) == EvalError::kNone);
  now += std::chrono::seconds(61);
  CHECK(table.Read(k1, v, arena) == EvalError::kNoValue);  // expired
  const std::string_view k4[] = {"10.0.0.4", "a"}, k5[] = {"10.0.0.5", "a"};
  CHECK(table.Set(k4, Value::Int(1), arena) == EvalError::kNone);
  CHECK(table.Set(k5, Value::Int(1), arena) == EvalError::kNone);  // k3 expired: swept
  CHECK(table.size() == 2);
}

TEST_CASE("the state pool keeps a table across a reload only while its declaration is the same") {
  StatePool pool;
  const StateDeclaration declaration{"f.yaml", "sessions", 1, 3600, 100};
  auto first = pool.Get("web", declaration);
  CHECK(pool.Get("web", declaration) == first);
  CHECK(pool.Get("ftp", declaration) != first);  // each source has its own
  StateDeclaration changed = declaration;
  changed.max_keys = 200;
  CHECK(pool.Get("web", changed) != first);
  const StateTable* address = first.get();
  first.reset();
  auto fresh = pool.Get("web", StateDeclaration{"f.yaml", "other", 1, 0, 1});
  CHECK(fresh.get() != address);
}

// Rules using expressions, loaded from a file as in production.
struct Loaded {
  Schema schema;
  RuleFiles files;
};

Loaded Load(const std::string& yaml, Diagnostics& diags) {
  const TempDir dir;
  const std::string path = dir.Write("rules.yaml", yaml);
  Loaded out;
  out.files = LoadRuleFiles({path}, out.schema, diags);
  return out;
}

class Collect : public UpdateSink {
 public:
  explicit Collect(const Schema& schema) : schema_(schema) {}
  void Apply(const Update& update) override {
    std::string line = schema_.at(update.family).name + "{";
    for (std::size_t i = 0; i < update.label_values.size(); ++i) {
      line += (i ? "," : "") + std::string(update.label_values[i]);
    }
    // Shortest round-trip form, as the exposition writes it: 103 ms must
    // read 0.103, not 0.10300000000000001 (what 103 * 0.001 gives).
    char value[64];
    auto end = std::to_chars(value, value + sizeof value, update.value).ptr;
    out.push_back(line + "} " + std::string(value, end));
  }
  std::vector<std::string> out;

 private:
  const Schema& schema_;
};

constexpr const char* kFamilies = R"(parser: line
metrics:
  - {name: t_bytes_total, type: counter, help: x, labels: [{name: part, values: [header, body], other: _OTHER}]}
  - {name: t_seconds, type: gauge, help: x, unit: seconds}
  - {name: t_slow_total, type: counter, help: x, labels: [code]}
state:
  - {name: start, keys: [client], max_keys: 1}
)";

TEST_CASE("expressions in rules: values, $(...) labels, when:, label_map, exact units, state") {
  Diagnostics diags;
  Loaded l = Load(std::string(kFamilies) + R"yaml(rules:
  - name: begin
    match: '^begin (?P<client>\S+) (?P<at>\d+)$'
    state_set: [{state: start, key: [$client], value: $at}]
  - name: end
    match: '^end (?P<client>\S+) (?P<at>\d+)$'
    emit:
      - {metric: t_seconds, set: '$at - state.start[$client]'}
    state_delete: [{state: start, key: [$client]}]
  - name: slow
    match: '^(?P<total>\d+) (?P<body>\d+) (?P<part>\w+) (?P<ms>\d+)$'
    when: $part != "skip"
    emit:
      - metric: t_bytes_total
        add: $total - $body
        labels: {part: $part}
        label_map: {part: {hdr: header}}
      - metric: t_seconds
        set: $ms
        unit: ms
      - metric: t_slow_total
        when: $ms >= 1000
        labels: {code: "s$(int($ms) // 1000)"}
  - name: fallback
    match: '^\d+ '
    emit: [{metric: t_slow_total, labels: {code: fallback}}]
)yaml",
                  diags);
  REQUIRE_MESSAGE(!diags.HasErrors(), diags.Format());
  const RuleSet& rules = *l.files.rule_set;
  MatchScratch scratch(rules);
  MatchCounts counts(rules);
  Collect sink(l.schema);
  for (const char* line : {"500 300 hdr 103", "700 600 body 2500", "1 1 skip 1", "9 10 body 1",
                           "begin a 100", "begin b 100", "end a 160", "end a 170"}) {
    rules.Match(std::string_view(line), scratch, counts, sink);
  }
  std::string got;
  for (const std::string& line : sink.out) got += line + "\n";
  INFO(got);
  CHECK(sink.out ==
        std::vector<std::string>{"t_bytes_total{header} 200", "t_seconds{} 0.103",
                                 "t_bytes_total{body} 100", "t_seconds{} 2.5", "t_slow_total{s2} 1",
                                 "t_slow_total{fallback} 1",  // when: false lets later rules try
                                 "t_seconds{} 0.001", "t_seconds{} 60"});
  // 9 - 10 for a counter: invalid; begin b: the table is full; the second end a: no value.
  CHECK(counts.invalid_values == 1);
  CHECK(counts.update_errors[static_cast<std::size_t>(EvalError::kStateFull)] == 1);
  CHECK(counts.update_errors[static_cast<std::size_t>(EvalError::kNoValue)] == 1);
}

TEST_CASE("check reports expression errors at file:line:col inside the expression") {
  Diagnostics diags;
  Load(std::string(kFamilies) + R"yaml(rules:
  - name: r
    match: '^(?P<total>\d+) (?P<body>\d+)$'
    when: $total
    emit:
      - metric: t_bytes_total
        add: $total - $bytes_body
        labels: {part: "x$(1 / 0)"}
      - {metric: t_seconds, set: "$total + 'a'"}
      - {metric: t_seconds, set: "$time"}
)yaml",
       diags);
  const std::string all = diags.Format();
  INFO(all);
  CHECK(all.find(":11:11: error: rule \"r\": a capture's text where a condition is needed") !=
        std::string::npos);
  CHECK(all.find(":14:23: error: rule \"r\": no capture named \"bytes_body\" (its captures: "
                 "body, total)") != std::string::npos);
  CHECK(all.find(":15:32: error: rule \"r\": division by a constant zero") != std::string::npos);
  CHECK(all.find(":16:44: error: rule \"r\": a string where a number is needed") !=
        std::string::npos);
  CHECK(all.find(":17:35: error: rule \"r\": $time needs the rule's \"time:\"") !=
        std::string::npos);
}

TEST_CASE("a reload with the same state declaration keeps the table's entries") {
  const TempDir dir;
  const std::string yaml = std::string(kFamilies) +
                           "rules:\n  - name: begin\n    match: '^begin (?P<c>\\S+)$'\n"
                           "    state_set: [{state: start, key: [$c], value: '1'}]\n";
  const std::string path = dir.Write("rules.yaml", yaml);
  StatePool pool;
  Schema schema1, schema2;
  Diagnostics diags;
  RuleFiles before = LoadRuleFiles({path}, schema1, diags, &pool, "src");
  MatchScratch scratch(*before.rule_set);
  MatchCounts counts(*before.rule_set);
  Collect sink(schema1);
  before.rule_set->Match(std::string_view("begin x"), scratch, counts, sink);
  RuleFiles after = LoadRuleFiles({path}, schema2, diags, &pool, "src");
  REQUIRE_FALSE(diags.HasErrors());
  CHECK(after.rule_set->state_tables()[0] == before.rule_set->state_tables()[0]);
  CHECK(after.rule_set->state_tables()[0]->size() == 1);
}

}  // namespace
}  // namespace metrics_adapter
