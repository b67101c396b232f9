// Diagnostics collects the errors and warnings found while loading a config,
// its rule files and their schema, so every problem is reported at once, as a
// compiler does, before anything is refused.
//
// Usage:
//   Diagnostics diags;
//   diags.Error({"rules/a.yaml", 12, 5}, "unknown key \"mach\"");
//   if (diags.HasErrors()) std::cerr << diags.Format();
//   // rules/a.yaml:12:5: error: unknown key "mach"
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace metrics_adapter {

// A place in a user's file. Lines and columns count from 1; 0 means unknown.
struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", "file:line" or "file", depending on what is known.
  std::string ToString() const;
  // This position moved `columns` to the right on the same line.
  SourcePosition Shifted(int columns) const;
};

// The position of a YAML node (yaml-cpp marks count from 0).
SourcePosition PositionOf(const std::string& file, const YAML::Node& node);

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity;
  SourcePosition position;
  std::string message;

  // "file:line:col: error: message"
  std::string ToString() const;
};

// Not thread-safe: one loader fills one instance. A diagnostic identical to
// one already reported (same place, same text) is dropped.
class Diagnostics {
 public:
  void Error(SourcePosition position, std::string message);
  void Warning(SourcePosition position, std::string message);

  bool HasErrors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  int warning_count() const { return static_cast<int>(all_.size()) - error_count_; }
  const std::vector<Diagnostic>& all() const { return all_; }

  // Every diagnostic, one per line, in the order reported.
  std::string Format() const;

 private:
  // Adds unless an identical diagnostic was reported; returns whether added.
  bool Add(Severity severity, SourcePosition position, std::string message);

  std::vector<Diagnostic> all_;
  std::set<std::string> seen_;
  int error_count_ = 0;
};

}  // namespace metrics_adapter
