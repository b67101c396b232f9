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

// One token of the pattern: what it contributes, and its byte if a literal.
struct Step {
  Token token = Token::kOther;
  char literal = 0;
};

// Reads a pattern token by token, left to right, keeping track of the open
// groups. Next() returns nullopt for anything it does not fully understand,
// after which the reader is not to be used further.
class PatternReader {
 public:
  explicit PatternReader(std::string_view pattern) : pattern_(pattern) {}

  bool AtEnd() const { return i_ >= pattern_.size(); }
  // Whether every group opened so far has been closed.
  bool GroupsClosed() const { return alternation_.empty(); }
  // How many groups are open.
  std::size_t Depth() const { return alternation_.size(); }

  // Reads the token at the current position and moves past it. Requires
  // !AtEnd().
  std::optional<Step> Next() {
    const char c = pattern_[i_];
    if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;  // a multi-byte character
    switch (c) {
      case '\\':
        return ReadEscape();
      case '[':
        return SkipClass();
      case '(':
        return OpenGroup();
      case ')':
        return CloseGroup();
      case '|':
        return MarkAlternative();
      case '{':
        return ReadBrace();
      case '*':
      case '+':
      case '?':
        ++i_;
        return Step{Token::kQuantifier};
      case '.':
      case '^':
      case '$':
        ++i_;
        return Step{Token::kOther};
      default:
        ++i_;
        return Step{Token::kLiteral, c};
    }
  }

 private:
  // `\c`: a literal byte, or a class or assertion such as \d or \b.
  std::optional<Step> ReadEscape() {
    if (i_ + 1 >= pattern_.size()) return std::nullopt;
    const char escaped = pattern_[i_ + 1];
    i_ += 2;
    if (std::optional<char> byte = EscapedLiteral(escaped)) return Step{Token::kLiteral, *byte};
    if (std::string_view("dDsSwWbBAz").find(escaped) == std::string_view::npos) {
      return std::nullopt;  // \x41, \pN, \Q...\E, \C, octal: not worth reading here
    }
    return Step{Token::kOther};
  }

  // A class: skip to its closing `]`, which may not be its first member.
  std::optional<Step> SkipClass() {
    ++i_;
    if (i_ < pattern_.size() && pattern_[i_] == '^') ++i_;
    if (i_ < pattern_.size() && pattern_[i_] == ']') ++i_;
    while (i_ < pattern_.size() && pattern_[i_] != ']') {
      if (pattern_[i_] == '\\') {
        i_ += 2;
      } else if (pattern_.substr(i_, 2) == "[:") {
        const std::size_t close = pattern_.find(":]", i_ + 2);
        if (close == std::string_view::npos) return std::nullopt;
        i_ = close + 2;
      } else {
        ++i_;
      }
    }
    if (i_ >= pattern_.size()) return std::nullopt;
    ++i_;
    return Step{Token::kOther};
  }

  // Skips the group's header: (?:, (?P<name>, (?<name>. Flags such as (?i)
  // change what literals match: gives up on them.
  std::optional<Step> OpenGroup() {
    if (pattern_.substr(i_, 3) == "(?:") {
      i_ += 3;
    } else if (pattern_.substr(i_, 4) == "(?P<" || pattern_.substr(i_, 3) == "(?<") {
      const std::size_t close = pattern_.find('>', i_);
      if (close == std::string_view::npos) return std::nullopt;
      i_ = close + 1;
    } else if (pattern_.substr(i_, 2) == "(?") {
      return std::nullopt;
    } else {
      ++i_;
    }
    alternation_.push_back(false);
    return Step{Token::kGroupOpen};
  }

  std::optional<Step> CloseGroup() {
    if (alternation_.empty()) return std::nullopt;
    const Token token = alternation_.back() ? Token::kOther : Token::kGroupClose;
    alternation_.pop_back();
    ++i_;
    return Step{token};
  }

  std::optional<Step> MarkAlternative() {
    if (alternation_.empty()) return std::nullopt;  // the other alternative may end differently
    alternation_.back() = true;
    ++i_;
    return Step{Token::kOther};
  }

  // `{n}`, `{n,}` or `{n,m}` repeat what comes before; any other `{` is a literal.
  std::optional<Step> ReadBrace() {
    if (std::size_t end = 0; IsRepetition(pattern_, i_, &end)) {
      i_ = end;
      return Step{Token::kQuantifier};
    }
    ++i_;
    return Step{Token::kLiteral, '{'};
  }

  std::string_view pattern_;
  std::size_t i_ = 0;
  // Per open group, whether it has an alternative: a group such as
  // (?P<class>[1-5]xx) is a plain sequence, so its literals continue the run
  // past its `)`; after (a|bc) nothing is known.
  std::vector<bool> alternation_;
};

// Adds what `step` does to `run`, the literal bytes since the last token that
// breaks the run.
void ExtendRun(const Step& step, std::string& run) {
  switch (step.token) {
    case Token::kLiteral:
      run += step.literal;
      break;
    case Token::kGroupOpen:
    case Token::kGroupClose:
      break;  // a plain group does not interrupt the run
    case Token::kOther:
    case Token::kQuantifier:
      // Anything else ends the run; a quantifier also takes back what it
      // repeats (a literal or a group), so the run restarts empty.
      run.clear();
      break;
  }
}

// Whether `pattern` is "^...$" with no top-level "|" (which could leave an
// alternative unanchored), so every match spans the whole text.
bool IsAnchoredAtBothEnds(const std::string& pattern) {
  if (pattern.size() < 2 || pattern.front() != '^' || pattern.back() != '$') return false;
  int depth = 0;
  bool in_class = false, escaped_end = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size() - 1) escaped_end = true;  // "\$" is a literal dollar
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return false;
    }
  }
  return !escaped_end;
}

}  // namespace

std::string RequiredLiteralSuffix(std::string_view pattern) {
  if (pattern.empty() || pattern.back() != '$') return {};
  pattern.remove_suffix(1);
  PatternReader reader(pattern);
  std::string suffix;
  while (!reader.AtEnd()) {
    const std::optional<Step> step = reader.Next();
    if (!step) return {};
    ExtendRun(*step, suffix);
  }
  if (!reader.GroupsClosed()) return {};
  return suffix;
}

std::string RequiredLiteral(std::string_view pattern) {
  PatternReader reader(pattern);
  std::string longest, run;
  const auto end_run = [&] {
    if (run.size() > longest.size()) longest = run;
    run.clear();
  };
  while (!reader.AtEnd()) {
    const std::size_t depth_before = reader.Depth();
    const std::optional<Step> step = reader.Next();
    if (!step) return {};
    if (depth_before > 0 || reader.Depth() > 0) {
      // A group's text may be optional or one of its alternatives; only
      // text outside every group counts.
      end_run();
      continue;
    }
    switch (step->token) {
      case Token::kLiteral:
        run += step->literal;
        break;
      case Token::kQuantifier:
        // It applies to the run's last byte, which may then be absent.
        if (!run.empty()) run.pop_back();
        end_run();
        break;
      default:
        end_run();
        break;
    }
  }
  end_run();
  return longest;
}

std::string_view CommonPrefix(std::string_view low, std::string_view high) {
  std::size_t n = 0;
  while (n < low.size() && n < high.size() && low[n] == high[n]) ++n;
  return low.substr(0, n);
}

RegexBounds BoundsOf(const RE2& regex) {
  RegexBounds bounds;
  // PossibleMatchRange bounds the texts the regex matches *whole*; that is
  // what Match finds only when the pattern is anchored at both ends.
  if (!IsAnchoredAtBothEnds(regex.pattern()) ||
      !regex.PossibleMatchRange(&bounds.range_min, &bounds.range_max, 32) ||
      bounds.range_max.empty()) {
    bounds.range_min.clear();
    bounds.range_max.clear();
  }
  bounds.literal_prefix = std::string(CommonPrefix(bounds.range_min, bounds.range_max));
  bounds.literal_suffix = RequiredLiteralSuffix(regex.pattern());
  bounds.exact_literal = !bounds.range_min.empty() && bounds.range_min == bounds.range_max &&
                         regex.NumberOfCapturingGroups() == 0 &&
                         RE2::FullMatch(bounds.range_min, regex);
  return bounds;
}

}  // namespace metrics_adapter
