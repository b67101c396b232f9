#include "rules/literal_bounds.h"

#include <cctype>
#include <optional>

namespace metrics_adapter {
namespace {

// What one token of the pattern contributes to the end of a match.
enum class Token {
  kLiteral,     // one known byte
  kOther,       // anything else that consumes text: a class, `.`, a group
  kQuantifier,  // applies to the token before it
};

// The byte a `\c` escape stands for when it is a literal, or nullopt.
std::optional<char> EscapedLiteral(char c) {
  if (std::ispunct(static_cast<unsigned char>(c))) return c;
  switch (c) {
    case 'a':
      return '\a';
    case 'f':
      return '\f';
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 'v':
      return '\v';
    default:
      return std::nullopt;
  }
}

// Whether pattern[i] starts a counted repetition `{n}`, `{n,}` or `{n,m}`
// (otherwise RE2 reads `{` as a literal); sets *end past its `}`.
bool IsRepetition(std::string_view pattern, std::size_t i, std::size_t* end) {
  std::size_t j = i + 1;
  const auto digits = [&] {
    const std::size_t start = j;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j]))) ++j;
    return j > start;
  };
  if (!digits()) return false;
  if (j < pattern.size() && pattern[j] == ',') {
    ++j;
    digits();
  }
  if (j >= pattern.size() || pattern[j] != '}') return false;
  *end = j + 1;
  return true;
}

}  // namespace

std::string RequiredLiteralSuffix(std::string_view pattern) {
  if (pattern.empty() || pattern.back() != '$') return {};
  pattern.remove_suffix(1);
  std::string suffix;  // the literal bytes since the last non-literal token at depth 0
  int depth = 0;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    Token token = Token::kOther;
    char literal = 0;
    if (static_cast<unsigned char>(c) >= 0x80) return {};  // a multi-byte character
    if (c == '\\') {
      if (i + 1 >= pattern.size()) return {};
      const char escaped = pattern[i + 1];
      i += 2;
      if (std::optional<char> byte = EscapedLiteral(escaped)) {
        token = Token::kLiteral;
        literal = *byte;
      } else if (std::string_view("dDsSwWbBAz").find(escaped) == std::string_view::npos) {
        return {};  // \x41, \pN, \Q...\E, \C, octal: not worth reading here
      }
    } else if (c == '[') {
      // A class: skip to its closing `]`, which may not be its first member.
      ++i;
      if (i < pattern.size() && pattern[i] == '^') ++i;
      if (i < pattern.size() && pattern[i] == ']') ++i;
      while (i < pattern.size() && pattern[i] != ']') {
        if (pattern[i] == '\\') {
          i += 2;
        } else if (pattern.substr(i, 2) == "[:") {
          const std::size_t close = pattern.find(":]", i + 2);
          if (close == std::string_view::npos) return {};
          i = close + 2;
        } else {
          ++i;
        }
      }
      if (i >= pattern.size()) return {};
      ++i;
    } else if (c == '(') {
      // Flags such as (?i) change what literals match: give up on them. Named
      // and non-capturing groups are fine.
      if (pattern.substr(i, 2) == "(?" && pattern.substr(i, 3) != "(?:" &&
          pattern.substr(i, 3) != "(?P") {
        return {};
      }
      ++depth;
      ++i;
    } else if (c == ')') {
      --depth;
      ++i;
    } else if (c == '*' || c == '+' || c == '?') {
      token = Token::kQuantifier;
      ++i;
    } else if (std::size_t end = 0; c == '{' && IsRepetition(pattern, i, &end)) {
      token = Token::kQuantifier;
      i = end;
    } else if (c == '|') {
      if (depth == 0) return {};  // the other alternative may end differently
      ++i;
    } else if (c == '.' || c == '^' || c == '$') {
      ++i;
    } else {
      token = Token::kLiteral;
      literal = c;
      ++i;
    }
    if (depth < 0) return {};
    if (token == Token::kLiteral && depth == 0) {
      suffix += literal;
    } else {
      // Anything but a literal at the top level ends the run; a quantifier
      // also takes back the literal it repeats (so the run restarts empty).
      suffix.clear();
    }
  }
  if (depth != 0) return {};
  return suffix;
}

std::string_view CommonPrefix(std::string_view low, std::string_view high) {
  std::size_t n = 0;
  while (n < low.size() && n < high.size() && low[n] == high[n]) ++n;
  return low.substr(0, n);
}

}  // namespace metrics_adapter
