#include "adapter/runtime/loaded_config.h"

#include <algorithm>

#include "adapter/base/strings.h"
#include "adapter/runtime/collisions.h"
#include "adapter/runtime/cpu_budget.h"
#include "adapter/runtime/source_labels.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

// A streamed source hands every parser lines. A csv parser without declared
// columns takes the first line it sees for the header: that holds only for
// a file source read from the beginning (files that appear later are read
// from their start too) and without a positions file. A tailer that starts
// at the end of a file or resumes at a kept position, or a listener whose
// senders interleave, would have a data row taken for it.
void CheckStreamedCsv(const SourceConfig& source, const ParserChoice& parser, bool positions_kept,
                      Diagnostics& diags) {
  if (source.pulled() || parser.info->name != "csv" || !parser.options.Get("columns").empty()) {
    return;
  }
  if (source.type == "file" && source.tailer.from_beginning && !positions_kept) return;
  std::string why = ": lines from several senders have no one header line";
  if (source.type == "file") {
    why = positions_kept ? ": with a positions file the tailer resumes mid-file and would take "
                           "a row for the header"
                         : " (or from_beginning: true): the tailer starts at the end of a file "
                           "and would take a row for the header";
  }
  diags.Error(source.position, "source " + Quoted(source.name) +
                                   " streams lines to parser \"csv\", which needs its "
                                   "\"columns\" option here" +
                                   why);
}

// The parser a source uses, with an error when the config and its rule
// file name different ones.
ParserChoice SettleParser(const SourceConfig& source, const RuleFiles& files, bool positions_kept,
                          Diagnostics& diags) {
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
  CheckStreamedCsv(source, parser, positions_kept, diags);
  return parser;
}

}  // namespace

std::optional<LoadedConfig> LoadConfigRules(const AdapterConfig& config, Diagnostics& diags,
                                            std::vector<std::string>* files_read,
                                            StatePool* states) {
  LoadedConfig loaded;
  auto schema = std::make_shared<Schema>();
  loaded.files.push_back(config.path);
  // The rules' regexes are compiled on every CPU the process may use.
  const std::size_t threads = CpusAllowed();
  for (const SourceConfig& source : config.sources) {
    RuleFiles files =
        LoadRuleFiles(source.rule_files, *schema, diags, states, source.name, threads);
    loaded.files.insert(loaded.files.end(), files.files_read.begin(), files.files_read.end());
    ParserChoice parser = SettleParser(source, files, config.positions.has_value(), diags);
    if (files.rule_set) loaded.rule_count += files.rule_set->rules().size();
    loaded.sources.push_back({source, std::move(parser), files.rule_set, nullptr});
  }
  // Only when every rule file loaded: a family's writers are known then.
  std::shared_ptr<const Schema> exposed;
  if (!diags.HasErrors()) exposed = ResolveSourceLabels(*schema, loaded.sources, diags);
  if (exposed) CheckCollisions(config, loaded.sources, *schema, diags);
  std::sort(loaded.files.begin(), loaded.files.end());
  loaded.files.erase(std::unique(loaded.files.begin(), loaded.files.end()), loaded.files.end());
  if (files_read) *files_read = loaded.files;
  if (diags.HasErrors()) return std::nullopt;
  loaded.schema = std::move(exposed);
  return loaded;
}

}  // namespace metrics_adapter
