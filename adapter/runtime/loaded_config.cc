#include "adapter/runtime/loaded_config.h"

#include <algorithm>

#include "adapter/base/strings.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

// The parser a source uses, with an error when the config and its rule
// file name different ones, or a whole-body parser reads streamed lines.
ParserChoice SettleParser(const SourceConfig& source, const RuleFiles& files, Diagnostics& diags) {
  ParserChoice parser = source.parser  ? *source.parser
                        : files.parser ? *files.parser
                                       : DefaultParserChoice();
  if (source.parser && files.parser && !(*source.parser == *files.parser)) {
    diags.Error(source.parser->position, "source " + Quoted(source.name) + " uses parser " +
                                             Quoted(source.parser->Describe()) +
                                             " but its rule file at " +
                                             files.parser->position.ToString() + " is for " +
                                             Quoted(files.parser->Describe()));
  }
  if (!source.pulled() && parser.info->unit == ParserUnit::kBody) {
    diags.Error(source.position, "source " + Quoted(source.name) + " streams lines, but parser " +
                                     Quoted(parser.info->name) +
                                     " reads whole response bodies (use it with type http or tcp)");
  }
  return parser;
}

}  // namespace

std::optional<LoadedConfig> LoadConfigRules(const AdapterConfig& config, Diagnostics& diags,
                                            std::vector<std::string>* files_read) {
  LoadedConfig loaded;
  auto schema = std::make_shared<Schema>();
  loaded.files.push_back(config.path);
  for (const SourceConfig& source : config.sources) {
    RuleFiles files = LoadRuleFiles(source.rule_files, *schema, diags);
    loaded.files.insert(loaded.files.end(), files.files_read.begin(), files.files_read.end());
    ParserChoice parser = SettleParser(source, files, diags);
    if (files.rule_set) loaded.rule_count += files.rule_set->rules().size();
    loaded.sources.push_back({source, std::move(parser), files.rule_set});
  }
  std::sort(loaded.files.begin(), loaded.files.end());
  loaded.files.erase(std::unique(loaded.files.begin(), loaded.files.end()), loaded.files.end());
  if (files_read) *files_read = loaded.files;
  if (diags.HasErrors()) return std::nullopt;
  loaded.schema = std::move(schema);
  return loaded;
}

}  // namespace metrics_adapter
