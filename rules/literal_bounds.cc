#include "rules/literal_bounds.h"

#include <cctype>
#include <optional>
#include <vector>

namespace metrics_adapter {
namespace {

// What one token of the pattern contributes to the end of a match.
enum class Token {
  kLiteral,     // one known byte
  kOther,       // anything else: a class, `.`, an assertion, an alternative
  kQuantifier,  // applies to the token before it
  kGroupOpen,   // the start of a group
  kGroupClose,  // the end of a group without alternatives
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
  std::string suffix;  // the literal bytes since the last token that breaks the run
  // Per open group, whether it has an alternative: a group such as
  // (?P<class>[1-5]xx) is a plain sequence, so its literals continue the run
  // past its `)`; after (a|bc) nothing is known.
  std::vector<bool> alternation;
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
      // Skip the group's header: (?:, (?P<name>, (?<name>. Flags such as
      // (?i) change what literals match: give up on them.
      if (pattern.substr(i, 3) == "(?:") {
        i += 3;
      } else if (pattern.substr(i, 4) == "(?P<" || pattern.substr(i, 3) == "(?<") {
        const std::size_t close = pattern.find('>', i);
        if (close == std::string_view::npos) return {};
        i = close + 1;
      } else if (pattern.substr(i, 2) == "(?") {
        return {};
      } else {
        ++i;
      }
      alternation.push_back(false);
      token = Token::kGroupOpen;
    } else if (c == ')') {
      if (alternation.empty()) return {};
      if (!alternation.back()) token = Token::kGroupClose;
      alternation.pop_back();
      ++i;
    } else if (c == '*' || c == '+' || c == '?') {
      token = Token::kQuantifier;
      ++i;
    } else if (std::size_t end = 0; c == '{' && IsRepetition(pattern, i, &end)) {
      token = Token::kQuantifier;
      i = end;
    } else if (c == '|') {
      if (alternation.empty()) return {};  // the other alternative may end differently
      alternation.back() = true;
      ++i;
    } else if (c == '.' || c == '^' || c == '$') {
      ++i;
    } else {
      token = Token::kLiteral;
      literal = c;
      ++i;
    }
    switch (token) {
      case Token::kLiteral:
        suffix += literal;
        break;
      case Token::kGroupOpen:
      case Token::kGroupClose:
        break;  // a plain group does not interrupt the run
      case Token::kOther:
      case Token::kQuantifier:
        // Anything else ends the run; a quantifier also takes back what it
        // repeats (a literal or a group), so the run restarts empty.
        suffix.clear();
        break;
    }
  }
  if (!alternation.empty()) return {};
  return suffix;
}

std::string_view CommonPrefix(std::string_view low, std::string_view high) {
  std::size_t n = 0;
  while (n < low.size() && n < high.size() && low[n] == high[n]) ++n;
  return low.substr(0, n);
}

}  // namespace metrics_adapter
