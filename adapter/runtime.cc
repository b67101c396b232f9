#include "adapter/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "adapter/exposition.h"
#include "parsers/registry.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

// Whether a running source can keep its tailer (and so its file positions)
// under the new config, switching only its rules.
bool CanKeep(const SourceConfig& running, const SourceConfig& next) {
  return running.type == next.type && running.parser == next.parser &&
         running.tailer == next.tailer;
}

}  // namespace

std::optional<Runtime::Loaded> Runtime::Load(const AdapterConfig& config, Diagnostics& diags,
                                             std::vector<std::string>* files_read) {
  Loaded loaded;
  loaded.files.push_back(config.path);
  for (const SourceConfig& source : config.sources) {
    RuleFiles files = LoadRuleFiles(source.rule_files, source.parser, loaded.schema, diags);
    loaded.rule_sets.push_back(files.rule_set);
    loaded.files.insert(loaded.files.end(), files.files_read.begin(), files.files_read.end());
  }
  std::sort(loaded.files.begin(), loaded.files.end());
  loaded.files.erase(std::unique(loaded.files.begin(), loaded.files.end()), loaded.files.end());
  if (files_read) *files_read = loaded.files;
  if (diags.HasErrors()) return std::nullopt;
  return loaded;
}

std::unique_ptr<Runtime> Runtime::Build(const AdapterConfig& config, Mode mode,
                                        Diagnostics& diags) {
  std::unique_ptr<Runtime> runtime(new Runtime(mode));
  if (!runtime->Reload(config, diags)) return nullptr;
  return runtime;
}

Runtime::~Runtime() { Stop(); }

std::unique_ptr<Runtime::Source> Runtime::MakeSource(const SourceConfig& config,
                                                     std::shared_ptr<const RuleSet> rules) {
  auto source = std::make_unique<Source>();
  source->config = config;
  source->pipeline =
      std::make_unique<SourcePipeline>(config.name, FindParser(config.parser)->create(),
                                       std::move(rules), *store_, self_, config_dir_);
  if (mode_ != Mode::kCheck) {
    TailerOptions options = config.tailer;
    if (mode_ == Mode::kOnce) options.from_beginning = true;
    source->tailer = std::make_unique<FileTailer>(options, source->pipeline.get());
  }
  return source;
}

void Runtime::StartSource(Source& source) {
  if (!source.tailer || source.thread.joinable()) return;
  FileTailer* tailer = source.tailer.get();
  source.thread = std::jthread([tailer](std::stop_token stop) { tailer->Run(stop); });
}

bool Runtime::Reload(const AdapterConfig& config, Diagnostics& diags,
                     std::vector<std::string>* files_read) {
  // Everything is loaded and checked before anything running is touched.
  std::optional<Loaded> loaded = Load(config, diags, files_read);
  if (!loaded) return false;

  std::lock_guard<std::mutex> lock(mu_);
  config_dir_ = std::filesystem::path(config.path).parent_path().string();
  std::map<std::string, const SourceConfig*> next;
  for (const SourceConfig& source : config.sources) next.emplace(source.name, &source);

  // Stop sources that go away or change shape first, so nothing writes with
  // old family indices once the store switches schema.
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto wanted = next.find(it->first);
    if (wanted != next.end() && CanKeep(it->second->config, *wanted->second)) {
      ++it;
      continue;
    }
    spdlog::info("source {}: {}", it->first, wanted == next.end() ? "removed" : "replaced");
    it->second->thread = std::jthread();  // request stop and join
    it = sources_.erase(it);
  }

  const std::size_t default_max_series = config.max_series_per_family;
  std::map<std::string, std::shared_ptr<const RuleSet>> rules_by_source;
  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    rules_by_source.emplace(config.sources[i].name, loaded->rule_sets[i]);
  }
  if (!store_) {
    store_ = std::make_unique<SeriesStore>(loaded->schema, default_max_series);
  } else {
    store_->Reconfigure(loaded->schema, default_max_series, [&] {
      for (auto& [name, source] : sources_) {
        source->pipeline->SetRulesLocked(rules_by_source.at(name));
        source->config = *next.at(name);
      }
    });
  }

  for (const SourceConfig& source_config : config.sources) {
    if (sources_.contains(source_config.name)) continue;
    auto source = MakeSource(source_config, rules_by_source.at(source_config.name));
    if (running_) StartSource(*source);
    sources_.emplace(source_config.name, std::move(source));
  }

  files_ = std::move(loaded->files);
  rule_count_ = 0;
  for (const auto& rules : loaded->rule_sets) rule_count_ += rules->rules().size();
  family_count_ = loaded->schema.size();
  return true;
}

void Runtime::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = true;
  for (auto& [name, source] : sources_) StartSource(*source);
}

void Runtime::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  for (auto& [name, source] : sources_) source->thread = std::jthread();  // stop and join
}

void Runtime::ReadOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, source] : sources_) {
    if (!source->tailer) continue;
    source->tailer->Poll();
    source->tailer->FlushPartialLines();
  }
}

std::string Runtime::Exposition() const {
  // The store and the registry are thread-safe; mu_ is not needed, and not
  // taking it keeps scrapes fast while a reload loads files.
  return RenderExposition({store_.get(), self_.registry().get()});
}

std::vector<std::string> Runtime::LoadedFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_;
}

std::size_t Runtime::rule_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rule_count_;
}

int Runtime::family_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return family_count_;
}

}  // namespace metrics_adapter
