#include "parsers/parser_config.h"

#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"

namespace metrics_adapter {
namespace {}  // namespace

std::unique_ptr<Parser> ParserChoice::Create() const {
  std::string error;
  return info->create(options, &error);
}

std::string ParserChoice::Describe() const {
  std::string out(info->name);
  const ParserOptions defaults = info->Defaults();
  std::string changed;
  for (const auto& [name, value] : options.all()) {
    if (defaults.Get(name) == value) continue;
    changed += (changed.empty() ? "" : ", ") + name + ": " + Quoted(value);
  }
  return changed.empty() ? out : out + " {" + changed + "}";
}

ParserChoice DefaultParserChoice() {
  ParserChoice choice;
  choice.info = FindParser("line");
  choice.options = choice.info->Defaults();
  return choice;
}

std::optional<ParserChoice> ReadParserChoice(const YAML::Node& node, const std::string& file,
                                             Diagnostics& diags) {
  const int errors_before = diags.error_count();
  ParserChoice choice;
  choice.position = PositionOf(file, node);
  std::string name;
  YAML::Node options_node;
  if (node.IsScalar()) {
    name = node.Scalar();
  } else if (node.IsMap()) {
    options_node = node;
    for (const auto& entry : node) {
      if (entry.first.Scalar() == "name" && entry.second.IsScalar()) name = entry.second.Scalar();
    }
    if (name.empty()) diags.Error(choice.position, "parser is missing required key \"name\"");
  } else {
    diags.Error(choice.position, "\"parser\" must be a parser name or a mapping with \"name\"");
  }
  if (!name.empty()) {
    choice.info = FindParser(name);
    if (!choice.info) {
      diags.Error(choice.position,
                  "unknown parser " + Quoted(name) + " (known: " + ParserNames() + ")");
    }
  }
  if (!choice.info) return std::nullopt;

  choice.options = choice.info->Defaults();
  if (options_node.IsMap()) {
    std::vector<std::string> known;
    for (const ParserOptionSpec& spec : choice.info->options) known.emplace_back(spec.name);
    for (const auto& entry : options_node) {
      const std::string key = entry.first.Scalar();
      if (key == "name") continue;
      if (!choice.info->HasOption(key)) {
        std::string message = "parser " + Quoted(name) + " has no option " + Quoted(key);
        if (std::string near = ClosestMatch(key, known); !near.empty()) {
          message += " (did you mean " + Quoted(near) + "?)";
        } else {
          message += known.empty() ? " (it takes none)" : "";
        }
        diags.Error(PositionOf(file, entry.first), message);
      } else if (!entry.second.IsScalar()) {
        diags.Error(PositionOf(file, entry.second),
                    "parser option " + Quoted(key) + " must be a string");
      } else {
        choice.options.Set(key, entry.second.Scalar());
      }
    }
  }
  if (diags.error_count() != errors_before) return std::nullopt;
  std::string error;
  if (!choice.info->create(choice.options, &error)) {
    diags.Error(choice.position, error.empty() ? "invalid parser options" : error);
    return std::nullopt;
  }
  return choice;
}

}  // namespace metrics_adapter
