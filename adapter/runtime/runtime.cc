#include "adapter/runtime/runtime.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "adapter/pipeline/explain.h"
#include "adapter/pipeline/input_driver.h"
#include "adapter/store/initial_series.h"

namespace metrics_adapter {

std::unique_ptr<Runtime> Runtime::Build(const AdapterConfig& config, RunMode mode,
                                        Diagnostics& diags, std::size_t threads) {
  std::unique_ptr<Runtime> runtime(new Runtime(mode, threads));
  if (!runtime->Reload(config, diags)) return nullptr;
  return runtime;
}

// Only a serving adapter has a process worth describing: `once` and `check`
// print no process_* families.
Runtime::Runtime(RunMode mode, std::size_t threads)
    : mode_(mode),
      self_(mode == RunMode::kFollow ? SelfMetrics::kWithProcess : SelfMetrics::kWithoutProcess),
      workers_(mode == RunMode::kCheck ? 1 : threads),
      streamed_(mode, &workers_) {}

Runtime::~Runtime() { Stop(); }

bool Runtime::Reload(const AdapterConfig& config, Diagnostics& diags,
                     std::vector<std::string>* files_read) {
  // Everything is loaded and checked before anything running is touched.
  std::optional<LoadedConfig> loaded = LoadConfigRules(config, diags, files_read, &states_);
  if (!loaded) return false;
  SourcesByName next;
  for (const LoadedSource& source : loaded->sources) next.emplace(source.config.name, &source);
  const std::string config_dir = std::filesystem::path(config.path).parent_path().string();

  std::lock_guard<std::mutex> lock(mu_);
  ConfigurePositions(config);
  // Sources that go away or change shape stop first, so nothing writes with
  // old family indices once the store switches schema.
  streamed_.RemoveChanged(next);
  SwapInLocked(*loaded, next, config.max_series_per_family, config_dir);
  streamed_.AddNew(next, store_.get(), self_, config_dir,
                   positions_ ? &positions_->positions() : nullptr);
  if (positions_) {
    // A source removed from the config takes its positions with it.
    positions_->positions().RetainSources([&](const std::string& name) {
      auto it = next.find(name);
      return it != next.end() && it->second->config.type == "file";
    });
  }
  files_ = std::move(loaded->files);
  rule_count_ = loaded->rule_count;
  return true;
}

void Runtime::ConfigurePositions(const AdapterConfig& config) {
  if (mode_ != RunMode::kFollow) return;
  if (!store_) {
    if (config.positions) positions_ = std::make_unique<PositionSaver>(*config.positions, self_);
    return;
  }
  const bool same = positions_ ? config.positions && *config.positions == positions_->config()
                               : !config.positions;
  if (!same) {
    spdlog::warn("{}: a change of \"positions\" takes effect when the adapter restarts",
                 config.path);
  }
}

void Runtime::SwapInLocked(const LoadedConfig& loaded, const SourcesByName& next,
                           std::size_t max_series_per_family, const std::string& config_dir) {
  if (!store_) {
    store_ = std::make_unique<SeriesStore>(*loaded.schema, max_series_per_family);
  } else {
    store_->Reconfigure(*loaded.schema, max_series_per_family,
                        [&] { streamed_.SwapRulesLocked(next); });
  }
  schema_ = loaded.schema;
  // Counters and histograms the streamed sources' rules write with constant
  // labels read 0 from the start (pulled sources show what a scrape saw).
  for (const auto& [name, wanted] : next) {
    if (!wanted->config.pulled()) {
      AddSeriesFromTheStart(*wanted->rules, *schema_, *store_, wanted->labels.get());
    }
  }

  // Pulled sources keep no series between scrapes, only their HTTP client:
  // built anew, so that the clients take the new options and TLS files.
  std::vector<std::shared_ptr<PullSource>> pulls;
  explainable_.clear();
  for (const auto& [name, wanted] : next) {
    explainable_.emplace(name, *wanted);
    if (!wanted->config.pulled()) continue;
    pulls.push_back(std::make_shared<PullSource>(wanted->config, wanted->parser, wanted->rules,
                                                 self_, config_dir, wanted->labels));
  }
  scraper_ = std::make_shared<const Scraper>(std::move(pulls), schema_, max_series_per_family);
}

bool Runtime::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool started = streamed_.Start();
  if (positions_) positions_->Start();
  return started;
}

void Runtime::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  streamed_.Stop();
  // Every tailer has stopped: the offsets are final.
  if (positions_) positions_->SaveAtShutdown();
}

void Runtime::ReadOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  streamed_.ReadOnce();
}

std::string Runtime::Exposition(ExpositionFormat format) const {
  std::string body;
  Exposition(format, kWholeBody, [&body](std::string whole, bool) { body = std::move(whole); });
  return body;
}

void Runtime::Exposition(ExpositionFormat format, std::size_t chunk_bytes,
                         const ExpositionSink& sink) const {
  std::shared_ptr<const Scraper> scraper;
  {
    // A snapshot: a reload during the scrape does not pull anything away.
    std::lock_guard<std::mutex> lock(mu_);
    scraper = scraper_;
  }
  const CollectableExposable self(self_);
  scraper->Scrape(*store_, self, format, chunk_bytes, sink);
}

std::optional<std::string> Runtime::Explain(const std::string& source,
                                            std::string_view input) const {
  LoadedSource explainable;
  std::shared_ptr<const Schema> schema;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = explainable_.find(source);
    if (it == explainable_.end()) return std::nullopt;
    explainable = it->second;
    schema = schema_;
  }
  return ExplainInput(*explainable.rules, *schema, explainable.parser,
                      FramingFor(explainable.config), input, MultilineFor(explainable.config));
}

std::vector<std::pair<std::string, std::string>> Runtime::Sources() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::string>> sources;
  for (const auto& [name, source] : explainable_) sources.emplace_back(name, source.config.type);
  return sources;
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
  return schema_ ? schema_->size() : 0;
}

}  // namespace metrics_adapter
