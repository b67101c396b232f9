#include "rules/expression/lexer.h"

#include <array>
#include <cctype>

namespace metrics_adapter {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

constexpr std::array<std::string_view, 10> kTwoCharOperators = {
    "..", "//", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||"};
constexpr std::string_view kOneCharOperators = "+-*/%&|^~!<>()[],.";

class Lexer {
 public:
  Lexer(std::string_view text, std::vector<ExprToken>& tokens, ExprSyntaxError& error)
      : text_(text), tokens_(tokens), error_(error) {}

  bool Run() {
    tokens_.clear();
    while (true) {
      while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
      if (at_ == text_.size()) break;
      const char c = text_[at_];
      bool ok;
      if (std::isdigit(static_cast<unsigned char>(c))) {
        ok = Number();
      } else if (c == '\'' || c == '"') {
        ok = String(c);
      } else if (c == '$') {
        ok = Reference();
      } else if (IsNameChar(c)) {
        const std::size_t begin = at_;
        while (at_ < text_.size() && IsNameChar(text_[at_])) ++at_;
        Add(ExprToken::Kind::kName, std::string(text_.substr(begin, at_ - begin)), begin);
        ok = true;
      } else {
        ok = Operator();
      }
      if (!ok) return false;
    }
    Add(ExprToken::Kind::kEnd, "", at_);
    return true;
  }

 private:
  void Add(ExprToken::Kind kind, std::string text, std::size_t begin) {
    tokens_.push_back({kind, std::move(text), static_cast<int>(begin), static_cast<int>(at_)});
  }

  bool Fail(std::size_t offset, std::string message) {
    error_ = {static_cast<int>(offset), std::move(message)};
    return false;
  }

  // Digits, then an optional fraction (a `.` followed by a digit: `1..2`
  // stays 1 `..` 2) and exponent; 0x/0o/0b prefixes for integers.
  bool Number() {
    const std::size_t begin = at_;
    auto digit = [&](std::size_t i) {
      return i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]));
    };
    if (text_[at_] == '0' && at_ + 1 < text_.size() &&
        std::string_view("xXoObB").find(text_[at_ + 1]) != std::string_view::npos) {
      at_ += 2;
      while (at_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[at_]))) ++at_;
      Add(ExprToken::Kind::kInt, std::string(text_.substr(begin, at_ - begin)), begin);
      return true;
    }
    bool real = false;
    while (digit(at_)) ++at_;
    if (at_ < text_.size() && text_[at_] == '.' && digit(at_ + 1)) {
      real = true;
      ++at_;
      while (digit(at_)) ++at_;
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      std::size_t next = at_ + 1;
      if (next < text_.size() && (text_[next] == '+' || text_[next] == '-')) ++next;
      if (digit(next)) {
        real = true;
        at_ = next;
        while (digit(at_)) ++at_;
      }
    }
    if (at_ < text_.size() && IsNameChar(text_[at_])) {
      return Fail(at_, "unexpected " + std::string(1, text_[at_]) + " in a number");
    }
    Add(real ? ExprToken::Kind::kFloat : ExprToken::Kind::kInt,
        std::string(text_.substr(begin, at_ - begin)), begin);
    return true;
  }

  bool String(char quote) {
    const std::size_t begin = at_++;
    std::string value;
    while (at_ < text_.size() && text_[at_] != quote) {
      char c = text_[at_++];
      if (c == '\\') {
        if (at_ == text_.size()) break;
        const char e = text_[at_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case '\\':
          case '\'':
          case '"':
            c = e;
            break;
          default:
            return Fail(at_ - 2, std::string("unknown escape \"\\") + e + "\" in a string");
        }
      }
      value += c;
    }
    if (at_ == text_.size()) return Fail(begin, "a string is not closed");
    ++at_;
    Add(ExprToken::Kind::kString, std::move(value), begin);
    return true;
  }

  bool Reference() {
    const std::size_t begin = at_++;
    std::size_t start = at_, end;
    if (at_ < text_.size() && text_[at_] == '{') {
      start = ++at_;
      end = text_.find('}', at_);
      if (end == std::string_view::npos) return Fail(begin, "\"${\" is not closed");
      at_ = end + 1;
    } else {
      while (at_ < text_.size() && IsNameChar(text_[at_])) ++at_;
      end = at_;
    }
    if (end == start) return Fail(begin, "\"$\" must be followed by a capture name");
    Add(ExprToken::Kind::kReference, std::string(text_.substr(start, end - start)), begin);
    return true;
  }

  bool Operator() {
    const std::size_t begin = at_;
    const std::string_view two = text_.substr(at_, 2);
    for (std::string_view op : kTwoCharOperators) {
      if (two == op) {
        at_ += 2;
        Add(ExprToken::Kind::kOperator, std::string(op), begin);
        return true;
      }
    }
    if (kOneCharOperators.find(text_[at_]) == std::string_view::npos) {
      return Fail(at_, "unexpected " + std::string(1, text_[at_]));
    }
    ++at_;
    Add(ExprToken::Kind::kOperator, std::string(1, text_[begin]), begin);
    return true;
  }

  std::string_view text_;
  std::vector<ExprToken>& tokens_;
  ExprSyntaxError& error_;
  std::size_t at_ = 0;
};

}  // namespace

bool LexExpression(std::string_view text, std::vector<ExprToken>& tokens, ExprSyntaxError& error) {
  return Lexer(text, tokens, error).Run();
}

}  // namespace metrics_adapter
