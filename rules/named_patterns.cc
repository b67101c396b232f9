#include "rules/named_patterns.h"

#include <algorithm>

#include "adapter/base/bounded_read.h"
#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"
#include "rules/shipped_patterns.h"

namespace metrics_adapter {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool IsPatternName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), IsNameChar);
}

bool IsCaptureName(std::string_view name) {
  return IsPatternName(name) && !std::isdigit(static_cast<unsigned char>(name.front()));
}

// The length of the character class that starts at text[at] == '[' (up to
// and including its ']'), or what is left of the text when it is not
// closed (RE2 reports that). A ']' right after "[" or "[^" is a member.
std::size_t ClassLength(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  if (i < text.size() && text[i] == '^') ++i;
  if (i < text.size() && text[i] == ']') ++i;
  while (i < text.size() && text[i] != ']') i += text[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text.size()) - at;
}

}  // namespace

// What one Expand call builds and reports.
struct PatternLibrary::Context {
  explicit Context(std::vector<PatternError>& out_errors) : errors(out_errors) {}
  std::vector<PatternError>& errors;
  std::string out;
  std::vector<std::string> stack;  // the patterns being expanded, outermost first
  // The reference in the match text being expanded now (its offset and
  // text), where errors from inside definitions are reported.
  std::size_t top_offset = 0;
  std::string top_fragment;
  // Every capture so far: its name, where the match text names it, and how.
  struct Capture {
    std::size_t offset;
    std::string how;
  };
  std::map<std::string, Capture> captures;
  std::vector<std::string> pattern_captures;

  void Error(std::size_t offset, std::string fragment, std::string message) {
    errors.push_back({offset, std::move(fragment), std::move(message)});
  }
  // Records capture `name`, written as `how`; a name seen before is an error.
  void AddCapture(const std::string& name, bool top_level, std::size_t offset,
                  const std::string& how) {
    const std::size_t at = top_level ? offset : top_offset;
    const std::string where = top_level ? how : top_fragment;
    if (auto [it, inserted] = captures.emplace(name, Capture{at, where}); !inserted) {
      Error(at, where,
            "capture " + Quoted(name) + " is named twice: by " + it->second.how + " and by " +
                where + " (a rule's captures need distinct names)");
      return;
    }
    if (!top_level) pattern_captures.push_back(name);
  }
};

const PatternLibrary& PatternLibrary::Shipped() {
  static const PatternLibrary kShipped = [] {
    PatternLibrary library;
    Diagnostics diags;
    for (const ShippedPatternFile& file : ShippedPatternFiles()) {
      library.AddText(file.text, std::string(file.name), diags);
    }
    return library;
  }();
  return kShipped;
}

void PatternLibrary::AddText(std::string_view text, const std::string& file, Diagnostics& diags) {
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = Trim(text.substr(0, end), kBlanksAndCr);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') continue;
    const SourcePosition position{file, line_number, 1};
    const std::size_t blank = line.find_first_of(kBlanks);
    const std::string_view name = line.substr(0, blank);
    const std::string_view regex =
        blank == std::string_view::npos ? "" : Trim(line.substr(blank), kBlanks);
    if (!IsPatternName(name) || regex.empty()) {
      diags.Error(position,
                  "a pattern definition is NAME (letters, digits, '_'), a space, then its "
                  "regex, not " +
                      Quoted(line));
      continue;
    }
    auto [it, inserted] =
        definitions_.emplace(std::string(name), Definition{std::string(regex), position});
    if (!inserted) {
      diags.Error(position, "pattern " + Quoted(name) + " is defined twice (first at " +
                                it->second.position.ToString() + ")");
    }
  }
}

void PatternLibrary::AddFile(const std::string& path, Diagnostics& diags) {
  std::string text;
  if (std::string error = ReadBoundedFile(path, kMaxConfigFileBytes, &text); !error.empty()) {
    diags.Error(SourcePosition{path, 0, 0}, error);
    return;
  }
  AddText(text, path, diags);
}

bool PatternLibrary::UsesPatterns(std::string_view text) {
  return text.find("%{") != std::string_view::npos;
}

std::optional<Expansion> PatternLibrary::Expand(std::string_view text,
                                                std::vector<PatternError>& errors) const {
  const std::size_t errors_before = errors.size();
  Context context(errors);
  ExpandInto(text, /*top_level=*/true, context);
  if (errors.size() != errors_before) return std::nullopt;
  return Expansion{std::move(context.out), std::move(context.pattern_captures)};
}

bool PatternLibrary::ExpandInto(std::string_view text, bool top_level, Context& context) const {
  bool ok = true;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    std::size_t length = 1;
    if (c == '\\') {
      length = std::min<std::size_t>(2, text.size() - i);
    } else if (c == '[') {
      length = ClassLength(text, i);
    } else if (text.substr(i).starts_with("(?P<")) {
      const std::size_t close = text.find('>', i);
      if (close != std::string_view::npos) {
        const std::string name(text.substr(i + 4, close - i - 4));
        context.AddCapture(name, top_level, i, "(?P<" + name + ">...)");
      }
    } else if (text.substr(i).starts_with("%{")) {
      const std::size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        context.Error(top_level ? i : context.top_offset, top_level ? "%{" : context.top_fragment,
                      "\"%{\" is not closed by \"}\" (write \"\\%{\" for a literal \"%{\")");
        return false;
      }
      if (top_level) {
        context.top_offset = i;
        context.top_fragment = std::string(text.substr(i, close + 1 - i));
      }
      ok = ExpandReference(text, i, close, top_level, context) && ok;
      i = close + 1;
      continue;
    }
    context.out.append(text.substr(i, length));
    i += length;
  }
  return ok;
}

bool PatternLibrary::ExpandReference(std::string_view text, std::size_t at, std::size_t end,
                                     bool top_level, Context& context) const {
  const std::string reference(text.substr(at, end + 1 - at));  // "%{NAME:capture}"
  const std::size_t offset = top_level ? at : context.top_offset;
  const std::string_view body = text.substr(at + 2, end - at - 2);
  const std::size_t colon = body.find(':');
  const std::string name(body.substr(0, colon));
  const std::string capture(colon == std::string_view::npos ? "" : body.substr(colon + 1));
  if (capture.find(':') != std::string::npos) {
    context.Error(offset, reference,
                  reference +
                      ": no type after the capture name is needed (emits read captures as "
                      "numbers); write %{" +
                      name + ":" + capture.substr(0, capture.find(':')) + "}");
    return false;
  }
  if (!IsPatternName(name) || (colon != std::string_view::npos && !IsCaptureName(capture))) {
    context.Error(offset, reference,
                  reference +
                      ": a named pattern is %{NAME} or %{NAME:capture} (letters, digits and "
                      "'_'; a capture name does not start with a digit)");
    return false;
  }
  auto it = definitions_.find(name);
  if (it == definitions_.end()) {
    std::vector<std::string> names;
    for (const auto& [known, definition] : definitions_) names.push_back(known);
    const std::string hint = ClosestMatch(name, names);
    context.Error(offset, top_level ? "%{" + name : context.top_fragment,
                  "unknown pattern " + Quoted(name) +
                      (hint.empty() ? "" : " (did you mean " + Quoted(hint) + "?)") +
                      (top_level ? ""
                                 : " in " + context.stack.back() + ", defined at " +
                                       definitions_.at(context.stack.back()).position.ToString()));
    return false;
  }
  if (std::find(context.stack.begin(), context.stack.end(), name) != context.stack.end()) {
    std::string cycle;
    for (const std::string& in : context.stack) cycle += in + " -> ";
    context.Error(offset, context.top_fragment,
                  "patterns use each other in a cycle: " + cycle + name + " (" + name +
                      " is defined at " + it->second.position.ToString() + ")");
    return false;
  }
  if (capture.empty()) {
    context.out += "(?:";
  } else {
    context.AddCapture(capture, top_level, at, reference);
    context.out += "(?P<" + capture + ">";
  }
  context.stack.push_back(name);
  const bool ok = ExpandInto(it->second.regex, /*top_level=*/false, context);
  context.stack.pop_back();
  context.out += ")";
  return ok;
}

}  // namespace metrics_adapter
