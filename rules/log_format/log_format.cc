#include "rules/log_format/log_format.h"

#include <utility>

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

void AppendField(FormatField field, std::size_t position, std::string& literal,
                 std::vector<FormatItem>& items) {
  AppendLiteral(literal, items);
  literal.clear();
  FormatItem item;
  item.field = std::move(field);
  item.field.position = position;
  items.push_back(std::move(item));
}

void ReadBareFormat(std::string_view text, std::string* format, std::vector<std::size_t>* columns) {
  while (text.ends_with('\n') || text.ends_with('\r')) text.remove_suffix(1);
  *format = std::string(text);
  columns->clear();
  for (std::size_t i = 0; i < text.size(); ++i) columns->push_back(i + 1);
}

}  // namespace metrics_adapter
