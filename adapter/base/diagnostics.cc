#include "adapter/base/diagnostics.h"

#include <yaml-cpp/yaml.h>

namespace metrics_adapter {

std::string SourcePosition::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  return out;
}

SourcePosition SourcePosition::Shifted(int columns) const {
  SourcePosition moved = *this;
  if (moved.column > 0) moved.column += columns;
  return moved;
}

SourcePosition PositionOf(const std::string& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

std::string Diagnostic::ToString() const {
  return position.ToString() + (severity == Severity::kError ? ": error: " : ": warning: ") +
         message;
}

bool Diagnostics::Add(Severity severity, SourcePosition position, std::string message) {
  Diagnostic d{severity, std::move(position), std::move(message)};
  // A rule or schema file shared by several sources is checked once per
  // source; its problems are reported once.
  if (!seen_.insert(d.ToString()).second) return false;
  all_.push_back(std::move(d));
  return true;
}

void Diagnostics::Error(SourcePosition position, std::string message) {
  if (Add(Severity::kError, std::move(position), std::move(message))) ++error_count_;
}

void Diagnostics::Warning(SourcePosition position, std::string message) {
  Add(Severity::kWarning, std::move(position), std::move(message));
}

std::string Diagnostics::Format() const {
  std::string out;
  for (const Diagnostic& d : all_) out += d.ToString() + "\n";
  return out;
}

}  // namespace metrics_adapter
