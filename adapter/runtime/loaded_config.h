// LoadedConfig: a config with every rule file loaded and checked against one
// schema, and each source's parser settled, but nothing running yet. A
// reload builds one first and touches nothing running unless it loads.
//
// Usage:
//   std::optional<LoadedConfig> loaded = LoadConfigRules(config, diags, &files);
//   if (!loaded) { std::cerr << diags.Format(); return; }  // every error reported
//   for (const LoadedSource& source : loaded->sources) ...
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/config/config.h"
#include "adapter/store/constant_labels.h"
#include "parsers/parser_config.h"
#include "rules/rule_set.h"
#include "rules/schema.h"
#include "rules/state/state_pool.h"

namespace metrics_adapter {

// One source of the config with what its rule files made of it.
struct LoadedSource {
  SourceConfig config;
  // As configured, else as its rule files say, else `line`.
  ParserChoice parser;
  std::shared_ptr<const RuleSet> rules;
  // The values its constant labels (`labels:`) add to the families it
  // writes, by family index of LoadedConfig::schema; null when it adds none
  // (see source_labels.h).
  std::shared_ptr<const ConstantLabels> labels;
};

struct LoadedConfig {
  // Every family of every rule file, as the stores expose it: with the
  // sources' constant label names after a family's own labels.
  std::shared_ptr<const Schema> schema;
  std::vector<LoadedSource> sources;  // in config order
  std::vector<std::string> files;     // the config, rule and schema files read; sorted, unique
  std::size_t rule_count = 0;         // over all sources
};

// Loads the rule files of every source of `config` into one schema, settles
// each source's parser and checks that it fits the source (a whole-body
// parser cannot read streamed lines). Returns nullopt after reporting every
// error to `diags`. `files_read`, if given, receives every file read, also
// on failure (so a watcher sees a broken rule file change back). `states`,
// if given, supplies each source's state tables, keeping the entries of those
// whose declaration a reload leaves unchanged.
std::optional<LoadedConfig> LoadConfigRules(const AdapterConfig& config, Diagnostics& diags,
                                            std::vector<std::string>* files_read = nullptr,
                                            StatePool* states = nullptr);

}  // namespace metrics_adapter
