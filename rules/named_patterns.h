// Named patterns: `%{NAME}` and `%{NAME:capture}` inside a rule's `match`,
// expanded into plain RE2 syntax when the rule file loads, so a matched
// line costs what the hand-written regex would (it is the same RE2).
//
//   %{NAME}          the pattern, as a non-capturing group: (?:...)
//   %{NAME:capture}  the pattern as the named group (?P<capture>...)
//   \%{              a literal "%{" (RE2 reads "\%" as "%")
//
// Patterns come from the library shipped with the program (the files of
// rules/patterns/, compiled in: the names rule writers know from grok, in
// RE2 syntax) and from the `patterns:` files a rule file names. A pattern
// file holds one definition per line, `NAME regex`; '#' starts a comment
// line. A definition may use other patterns (a cycle is an error); captures
// inside a definition (the web-log layouts have them) become captures of
// every rule that uses it.
//
// Usage:
//   PatternLibrary patterns = PatternLibrary::Shipped();
//   patterns.AddFile("my.patterns", diags);       // a rule file's own
//   std::vector<PatternError> errors;
//   std::optional<Expansion> e = patterns.Expand("%{IP:client} %{INT}", errors);
//   if (e) RE2 regex(e->regex);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/base/diagnostics.h"

namespace metrics_adapter {

// A problem in a `match` text: `offset` and `fragment` (the text at that
// offset, e.g. "%{IPADRES") let the caller point at it in the file.
struct PatternError {
  std::size_t offset = 0;
  std::string fragment;
  std::string message;
};

struct Expansion {
  std::string regex;  // plain RE2 syntax
  // Captures that come from inside library or user pattern definitions
  // (e.g. COMBINEDAPACHELOG's), not written in the match text itself: a rule
  // need not use every one of them.
  std::vector<std::string> pattern_captures;
};

class PatternLibrary {
 public:
  struct Definition {
    std::string regex;
    SourcePosition position;  // where it is defined (file:line)
  };

  // The library of rules/patterns/, as compiled into the program. Checked by
  // the unit tests: every definition expands and compiles.
  static const PatternLibrary& Shipped();

  // Reads definitions from `text` (the contents of pattern file `file`).
  // A malformed line or a name defined twice is reported to `diags`.
  void AddText(std::string_view text, const std::string& file, Diagnostics& diags);
  // Reads the pattern file `path`; an unreadable file is reported.
  void AddFile(const std::string& path, Diagnostics& diags);

  // Whether `text` uses any named pattern: a rule without one is compiled
  // from its text as written.
  static bool UsesPatterns(std::string_view text);

  // `text` with every %{...} expanded; nullopt when anything was reported
  // into `errors`: an unknown name (with the closest known one), a cycle, a
  // malformed reference, or a capture named twice.
  std::optional<Expansion> Expand(std::string_view text, std::vector<PatternError>& errors) const;

  const std::map<std::string, Definition>& definitions() const { return definitions_; }

 private:
  struct Context;
  bool ExpandInto(std::string_view text, bool top_level, Context& context) const;
  bool ExpandReference(std::string_view text, std::size_t at, std::size_t end, bool top_level,
                       Context& context) const;

  std::map<std::string, Definition> definitions_;
};

}  // namespace metrics_adapter
