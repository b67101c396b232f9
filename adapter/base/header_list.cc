#include "adapter/base/header_list.h"

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// Splits off the text up to `separator` (or all of it), trimmed.
std::string_view NextPart(std::string_view& text, char separator) {
  const std::size_t end = text.find(separator);
  const std::string_view part = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return Trim(part, kBlanks);
}

}  // namespace

std::optional<int> ParseQValue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  int value = (q[0] - '0') * 1000;
  if (q.size() == 1) return value;
  if (q[1] != '.' || q.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : q.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  if (value > 1000) return std::nullopt;
  return value;
}

std::vector<HeaderElement> ParseHeaderList(std::string_view header) {
  std::vector<HeaderElement> elements;
  while (!header.empty()) {
    std::string_view element = NextPart(header, ',');
    HeaderElement parsed;
    parsed.value = NextPart(element, ';');
    if (parsed.value.empty()) continue;
    while (!element.empty()) {
      std::string_view param = NextPart(element, ';');
      const std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view name = Trim(param.substr(0, eq), kBlanks);
      std::string_view value = Trim(param.substr(eq + 1), kBlanks);
      if (EqualsIgnoreCase(name, "q")) {
        parsed.q = ParseQValue(value).value_or(0);
        continue;
      }
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      parsed.params.emplace_back(name, value);
    }
    elements.push_back(std::move(parsed));
  }
  return elements;
}

}  // namespace metrics_adapter
