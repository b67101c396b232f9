#include "rules/expression/parser.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <utility>

#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"

namespace metrics_adapter {
namespace {

// In a reference, `${label.NAME}` names a label the parser gave the record.
constexpr std::string_view kRecordLabelPrefix = "label.";
// Nesting deeper than this is refused: evaluation recurses once per level.
constexpr int kMaxDepth = 64;

struct BinaryLevel {
  std::array<std::pair<std::string_view, ExprOp>, 4> ops;
};

// The binary levels from the loosest; comparisons (level 2) do not chain.
const std::array<BinaryLevel, 10>& Levels() {
  static const std::array<BinaryLevel, 10> kLevels = {{
      {{{{"||", ExprOp::kOr}}}},
      {{{{"&&", ExprOp::kAnd}}}},
      {{{{"==", ExprOp::kEq}, {"!=", ExprOp::kNe}, {"<", ExprOp::kLt}, {"<=", ExprOp::kLe}}}},
      {{{{"..", ExprOp::kConcat}}}},
      {{{{"|", ExprOp::kBitOr}}}},
      {{{{"^", ExprOp::kBitXor}}}},
      {{{{"&", ExprOp::kBitAnd}}}},
      {{{{"<<", ExprOp::kShl}, {">>", ExprOp::kShr}}}},
      {{{{"+", ExprOp::kAdd}, {"-", ExprOp::kSub}}}},
      {{{{"*", ExprOp::kMul}, {"/", ExprOp::kDiv}, {"//", ExprOp::kIntDiv}, {"%", ExprOp::kMod}}}},
  }};
  return kLevels;
}
constexpr int kComparisonLevel = 2;

class Parser {
 public:
  Parser(const std::vector<ExprToken>& tokens, ExpressionNames& names, Expression& expr,
         ExprSyntaxError& error)
      : tokens_(tokens), names_(names), expr_(expr), error_(error) {}

  bool Run() {
    expr_.nodes.clear();
    const int root = Binary(0, 0);
    if (root < 0) return false;
    if (Peek().kind != ExprToken::Kind::kEnd) {
      return Fail(Peek().begin, "unexpected " + Quoted(Peek().text) + " (an operator is missing?)");
    }
    expr_.root = root;
    return true;
  }

 private:
  const ExprToken& Peek() const { return tokens_[at_]; }
  bool IsOperator(std::string_view op) const {
    return Peek().kind == ExprToken::Kind::kOperator && Peek().text == op;
  }

  bool Fail(int offset, std::string message) {
    if (error_.message.empty()) error_ = {offset, std::move(message)};
    return false;
  }

  int Add(ExprNode node) {
    expr_.nodes.push_back(std::move(node));
    return static_cast<int>(expr_.nodes.size()) - 1;
  }

  int Node(ExprOp op, int begin, int end, std::vector<int> kids = {}) {
    ExprNode node;
    node.op = op;
    node.begin = begin;
    node.end = end;
    node.kids = std::move(kids);
    return Add(std::move(node));
  }

  int Binary(int level, int depth) {
    if (depth > kMaxDepth) {
      Fail(Peek().begin, "the expression nests too deeply");
      return -1;
    }
    if (level == static_cast<int>(Levels().size())) return Unary(depth);
    int left = Binary(level + 1, depth);
    while (left >= 0) {
      ExprOp op;
      if (!MatchOperator(level, op)) break;
      ++at_;
      const int right = Binary(level + 1, depth + 1);
      if (right < 0) return -1;
      left = Node(op, expr_.at(left).begin, expr_.at(right).end, {left, right});
      if (level == kComparisonLevel && MatchOperator(level, op)) {
        Fail(Peek().begin, "comparisons do not chain: write (a < b) && (b < c)");
        return -1;
      }
    }
    return left;
  }

  bool MatchOperator(int level, ExprOp& op) const {
    if (Peek().kind != ExprToken::Kind::kOperator) return false;
    if (level == kComparisonLevel) {
      // Two more than fit one level's array.
      if (Peek().text == ">") return op = ExprOp::kGt, true;
      if (Peek().text == ">=") return op = ExprOp::kGe, true;
    }
    for (const auto& [text, candidate] : Levels()[static_cast<std::size_t>(level)].ops) {
      if (!text.empty() && Peek().text == text) return op = candidate, true;
    }
    return false;
  }

  int Unary(int depth) {
    const ExprToken& token = Peek();
    ExprOp op;
    if (token.kind == ExprToken::Kind::kOperator &&
        (token.text == "-" || token.text == "!" || token.text == "~")) {
      op = token.text == "-" ? ExprOp::kNeg : token.text == "!" ? ExprOp::kNot : ExprOp::kBitNot;
      ++at_;
      if (depth > kMaxDepth) return Fail(token.begin, "the expression nests too deeply"), -1;
      const int operand = Unary(depth + 1);
      if (operand < 0) return -1;
      // -5 is the constant -5, so that the most negative int64 can be written.
      ExprNode& inner = expr_.nodes[static_cast<std::size_t>(operand)];
      if (op == ExprOp::kNeg && inner.op == ExprOp::kIntConst && inner.begin == token.end) {
        inner.integer = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(inner.integer));
        inner.begin = token.begin;
        return operand;
      }
      return Node(op, token.begin, expr_.at(operand).end, {operand});
    }
    return Primary(depth);
  }

  int Primary(int depth) {
    const ExprToken& token = Peek();
    switch (token.kind) {
      case ExprToken::Kind::kInt:
        return IntConstant(token);
      case ExprToken::Kind::kFloat: {
        ++at_;
        const int node = Node(ExprOp::kFloatConst, token.begin, token.end);
        expr_.nodes.back().real = std::strtod(token.text.c_str(), nullptr);
        return node;
      }
      case ExprToken::Kind::kString: {
        ++at_;
        const int node = Node(ExprOp::kStringConst, token.begin, token.end);
        expr_.nodes.back().text = token.text;
        return node;
      }
      case ExprToken::Kind::kReference:
        ++at_;
        return Reference(token);
      case ExprToken::Kind::kName:
        ++at_;
        if (token.text == "state") return StateRead(token, depth);
        return Call(token, depth);
      case ExprToken::Kind::kOperator:
        if (token.text == "(") {
          ++at_;
          const int inner = Binary(0, depth + 1);
          if (inner < 0) return -1;
          if (!IsOperator(")")) return Fail(Peek().begin, "\")\" expected"), -1;
          ++at_;
          return inner;
        }
        return Fail(token.begin, "unexpected " + Quoted(token.text)), -1;
      case ExprToken::Kind::kEnd:
        return Fail(token.begin, "the expression ends too early"), -1;
    }
    return -1;
  }

  int IntConstant(const ExprToken& token) {
    ++at_;
    std::string_view digits = token.text;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0') {
      const char p = static_cast<char>(digits[1] | 0x20);
      base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
      if (base != 10) digits.remove_prefix(2);
    }
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    // 9223372036854775808 is allowed only to be negated.
    if (ec != std::errc() || ptr != digits.data() + digits.size() ||
        value > static_cast<std::uint64_t>(INT64_MAX) + 1) {
      return Fail(token.begin, Quoted(token.text) + " is not a 64-bit integer"), -1;
    }
    const int node = Node(ExprOp::kIntConst, token.begin, token.end);
    expr_.nodes.back().integer = static_cast<std::int64_t>(value);
    return node;
  }

  int Reference(const ExprToken& token) {
    if (token.text.starts_with(kRecordLabelPrefix)) {
      const std::string label = token.text.substr(kRecordLabelPrefix.size());
      if (label.empty()) return Fail(token.begin, "\"${label.}\" needs a label name"), -1;
      const int node = Node(ExprOp::kRecordLabel, token.begin, token.end);
      expr_.nodes.back().text = label;
      return node;
    }
    if (token.text == "value" && !names_.IsCapture("value"))
      return Node(ExprOp::kRecordValue, token.begin, token.end);
    if (token.text == "time" && !names_.IsCapture("time")) {
      if (!names_.HasTime()) {
        return Fail(token.begin, "$time needs the rule's \"time:\" (which capture holds it)"), -1;
      }
      expr_.uses_time = true;
      return Node(ExprOp::kTime, token.begin, token.end);
    }
    std::string error;
    const int capture = names_.Capture(token.text, error);
    if (capture < 0) return Fail(token.begin, error), -1;
    const int node = Node(ExprOp::kCapture, token.begin, token.end);
    expr_.nodes.back().index = capture;
    return node;
  }

  // state.NAME[key, ...]
  int StateRead(const ExprToken& token, int depth) {
    if (!IsOperator(".")) return Fail(Peek().begin, "\"state.\" and a table's name expected"), -1;
    ++at_;
    const ExprToken& name = Peek();
    if (name.kind != ExprToken::Kind::kName) {
      return Fail(name.begin, "a state table's name expected after \"state.\""), -1;
    }
    ++at_;
    int key_parts = 0;
    std::string error;
    const int table = names_.StateTable(name.text, key_parts, error);
    if (table < 0) return Fail(name.begin, error), -1;
    if (!IsOperator("[")) return Fail(Peek().begin, "\"[\" and the key expected"), -1;
    ++at_;
    std::vector<int> keys;
    if (!Arguments("]", depth, keys)) return -1;
    const int end = tokens_[at_ - 1].end;
    if (static_cast<int>(keys.size()) != key_parts) {
      return Fail(name.begin, "state table " + Quoted(name.text) + " takes a key of " +
                                  std::to_string(key_parts) + " part(s), not " +
                                  std::to_string(keys.size())),
             -1;
    }
    expr_.uses_state = true;
    const int node = Node(ExprOp::kStateRead, token.begin, end, std::move(keys));
    expr_.nodes.back().index = table;
    expr_.nodes.back().text = name.text;
    return node;
  }

  // Comma-separated expressions up to `close`, which is consumed.
  bool Arguments(std::string_view close, int depth, std::vector<int>& out) {
    if (IsOperator(close)) {
      ++at_;
      return true;
    }
    while (true) {
      const int arg = Binary(0, depth + 1);
      if (arg < 0) return false;
      out.push_back(arg);
      if (IsOperator(close)) {
        ++at_;
        return true;
      }
      if (!IsOperator(","))
        return Fail(Peek().begin, Quoted(std::string(close)) + " or \",\" expected");
      ++at_;
    }
  }

  struct Function {
    std::string_view name;
    ExprOp op;
    int min_args, max_args;  // max -1: any number
  };
  static constexpr std::array<Function, 6> kFunctions = {{{"min", ExprOp::kMin, 2, -1},
                                                          {"max", ExprOp::kMax, 2, -1},
                                                          {"abs", ExprOp::kAbs, 1, 1},
                                                          {"int", ExprOp::kToInt, 1, 2},
                                                          {"has", ExprOp::kHas, 1, 1},
                                                          {"now", ExprOp::kNow, 0, 0}}};

  // The function `name` calls; null (reported, with a near miss) for none.
  const Function* FindFunction(const ExprToken& name) {
    for (const Function& f : kFunctions) {
      if (f.name == name.text) return &f;
    }
    std::vector<std::string> known;
    known.reserve(kFunctions.size());
    for (const Function& f : kFunctions) known.emplace_back(f.name);
    std::string hint = ClosestMatch(name.text, known);
    Fail(name.begin,
         "unknown name " + Quoted(name.text) +
             (hint.empty() ? " (a capture is written $" + name.text + ", text in quotes)"
                           : " (did you mean " + Quoted(hint) + "?)"));
    return nullptr;
  }

  bool CheckArgumentCount(const ExprToken& name, const Function& function, int count) {
    if (count >= function.min_args && (function.max_args < 0 || count <= function.max_args)) {
      return true;
    }
    std::string want = function.min_args == function.max_args ? std::to_string(function.min_args)
                       : function.max_args < 0 ? "at least " + std::to_string(function.min_args)
                                               : std::to_string(function.min_args) + " or " +
                                                     std::to_string(function.max_args);
    return Fail(name.begin, Quoted(name.text) + " takes " + want + " argument(s), not " +
                                std::to_string(count));
  }

  int Call(const ExprToken& name, int depth) {
    const Function* function = FindFunction(name);
    if (!function) return -1;
    if (!IsOperator("(")) return Fail(Peek().begin, "\"(\" expected after " + name.text), -1;
    ++at_;
    std::vector<int> args;
    if (!Arguments(")", depth, args)) return -1;
    const int end = tokens_[at_ - 1].end;
    if (!CheckArgumentCount(name, *function, static_cast<int>(args.size()))) return -1;
    const int count = static_cast<int>(args.size());
    ExprOp op = function->op;
    if (op == ExprOp::kToInt && count == 2) {
      const ExprNode& base = expr_.at(args[1]);
      if (base.op != ExprOp::kIntConst ||
          (base.integer != 2 && base.integer != 8 && base.integer != 10 && base.integer != 16)) {
        return Fail(base.begin, "int()'s base must be 2, 8, 10 or 16"), -1;
      }
      const std::int64_t radix = base.integer;
      args.pop_back();
      const int node = Node(ExprOp::kParseInt, name.begin, end, std::move(args));
      expr_.nodes.back().integer = radix;
      return node;
    }
    if (op == ExprOp::kHas) {
      const ExprNode& arg = expr_.at(args[0]);
      if (arg.op != ExprOp::kCapture) {
        return Fail(arg.begin, "has() takes a capture, as has($name)"), -1;
      }
      const int capture = arg.index;
      const int node = Node(ExprOp::kHas, name.begin, end);
      expr_.nodes.back().index = capture;
      return node;
    }
    return Node(op, name.begin, end, std::move(args));
  }

  const std::vector<ExprToken>& tokens_;
  ExpressionNames& names_;
  Expression& expr_;
  ExprSyntaxError& error_;
  std::size_t at_ = 0;
};

}  // namespace

bool ParseExpression(const std::vector<ExprToken>& tokens, ExpressionNames& names, Expression& expr,
                     ExprSyntaxError& error) {
  return Parser(tokens, names, expr, error).Run();
}

}  // namespace metrics_adapter
