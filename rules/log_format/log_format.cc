#include "rules/log_format/log_format.h"

namespace metrics_adapter {

void AppendLiteral(std::string_view text, std::vector<FormatItem>& items) {
  if (text.empty()) return;
  if (!items.empty() && !items.back().is_field()) {
    items.back().literal += text;
    return;
  }
  FormatItem item;
  item.literal = std::string(text);
  items.push_back(std::move(item));
}

}  // namespace metrics_adapter
