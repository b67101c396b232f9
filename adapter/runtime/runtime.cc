#include "adapter/runtime/runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <future>

#include "adapter/base/strings.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/explain.h"
#include "adapter/pipeline/input_driver.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {

struct Runtime::Source {
  SourceConfig config;
  ParserChoice parser;
  std::unique_ptr<SourcePipeline> pipeline;
  std::unique_ptr<FileTailer> tailer;      // type file
  std::jthread thread;                     // runs the tailer
  std::unique_ptr<LineListener> listener;  // types udp, tcp_listener

  void Stop() {
    thread = std::jthread();  // request stop and join
    listener.reset();         // closes the socket, joins its thread
  }
};

namespace {

// Whether a running source can keep its input (file positions, a bound
// socket) under the new config, switching only its rules.
bool CanKeep(const SourceConfig& running, const ParserChoice& running_parser,
             const SourceConfig& next, const ParserChoice& next_parser) {
  if (running.type != next.type || !(running_parser == next_parser)) return false;
  if (running.type == "file") return running.tailer == next.tailer;
  return running.listener.address == next.listener.address &&
         running.listener.max_line_bytes == next.listener.max_line_bytes;
}

}  // namespace

std::optional<Runtime::Loaded> Runtime::Load(const AdapterConfig& config, Diagnostics& diags,
                                             std::vector<std::string>* files_read) {
  Loaded loaded;
  auto schema = std::make_shared<Schema>();
  loaded.files.push_back(config.path);
  for (const SourceConfig& source : config.sources) {
    RuleFiles files = LoadRuleFiles(source.rule_files, *schema, diags);
    loaded.rule_sets.push_back(files.rule_set);
    loaded.files.insert(loaded.files.end(), files.files_read.begin(), files.files_read.end());
    // The source's parser: as configured, else as its rule files say, else `line`.
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
      diags.Error(source.position,
                  "source " + Quoted(source.name) + " streams lines, but parser " +
                      Quoted(parser.info->name) +
                      " reads whole response bodies (use it with type http or tcp)");
    }
    loaded.parsers.push_back(std::move(parser));
  }
  std::sort(loaded.files.begin(), loaded.files.end());
  loaded.files.erase(std::unique(loaded.files.begin(), loaded.files.end()), loaded.files.end());
  if (files_read) *files_read = loaded.files;
  if (diags.HasErrors()) return std::nullopt;
  loaded.schema = std::move(schema);
  return loaded;
}

std::unique_ptr<Runtime> Runtime::Build(const AdapterConfig& config, Mode mode,
                                        Diagnostics& diags) {
  std::unique_ptr<Runtime> runtime(new Runtime(mode));
  if (!runtime->Reload(config, diags)) return nullptr;
  return runtime;
}

Runtime::Runtime(Mode mode) : mode_(mode) {}

Runtime::~Runtime() { Stop(); }

std::unique_ptr<Runtime::Source> Runtime::MakeSource(const SourceConfig& config,
                                                     const ParserChoice& parser,
                                                     std::shared_ptr<const RuleSet> rules) {
  auto source = std::make_unique<Source>();
  source->config = config;
  source->parser = parser;
  source->pipeline = std::make_unique<SourcePipeline>(config.name, parser, std::move(rules),
                                                      store_.get(), self_, config_dir_);
  if (config.type == "file" && mode_ != Mode::kCheck) {
    TailerOptions options = config.tailer;
    if (mode_ == Mode::kOnce) options.from_beginning = true;
    source->tailer = std::make_unique<FileTailer>(options, source->pipeline.get());
  }
  return source;
}

bool Runtime::StartSource(Source& source) {
  if (source.tailer && !source.thread.joinable()) {
    FileTailer* tailer = source.tailer.get();
    source.thread = std::jthread([tailer](std::stop_token stop) { tailer->Run(stop); });
  }
  const bool listens = source.config.type == "udp" || source.config.type == "tcp_listener";
  if (listens && !source.listener) {
    std::string error;
    source.listener = LineListener::Start(source.config.listener, source.pipeline.get(), &error);
    if (!source.listener) {
      spdlog::error("source {}: {}", source.config.name, error);
      return false;
    }
    spdlog::info("source {}: listening on {} (port {})", source.config.name,
                 source.config.listener.address, source.listener->port());
  }
  return true;
}

bool Runtime::Reload(const AdapterConfig& config, Diagnostics& diags,
                     std::vector<std::string>* files_read) {
  // Everything is loaded and checked before anything running is touched.
  std::optional<Loaded> loaded = Load(config, diags, files_read);
  if (!loaded) return false;

  std::lock_guard<std::mutex> lock(mu_);
  config_dir_ = std::filesystem::path(config.path).parent_path().string();
  struct Next {
    const SourceConfig* config;
    const ParserChoice* parser;
    std::shared_ptr<const RuleSet> rules;
  };
  std::map<std::string, Next> next;
  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    next.emplace(config.sources[i].name,
                 Next{&config.sources[i], &loaded->parsers[i], loaded->rule_sets[i]});
  }

  // Stop streamed sources that go away or change shape first, so nothing
  // writes with old family indices once the store switches schema.
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto wanted = next.find(it->first);
    if (wanted != next.end() && CanKeep(it->second->config, it->second->parser,
                                        *wanted->second.config, *wanted->second.parser)) {
      ++it;
      continue;
    }
    spdlog::info("source {}: {}", it->first, wanted == next.end() ? "removed" : "replaced");
    it->second->Stop();
    it = sources_.erase(it);
  }

  max_series_per_family_ = config.max_series_per_family;
  if (!store_) {
    store_ = std::make_unique<SeriesStore>(*loaded->schema, max_series_per_family_);
  } else {
    store_->Reconfigure(*loaded->schema, max_series_per_family_, [&] {
      for (auto& [name, source] : sources_) {
        source->pipeline->SetRulesLocked(next.at(name).rules);
        source->config = *next.at(name).config;
      }
    });
  }
  schema_ = loaded->schema;

  // Pulled sources keep nothing between scrapes: build them anew.
  pulls_.clear();
  explainable_.clear();
  for (const auto& [name, wanted] : next) {
    explainable_.emplace(name,
                         Explainable{*wanted.parser, FramingFor(*wanted.config), wanted.rules});
    if (wanted.config->pulled()) {
      pulls_.push_back(std::make_shared<PullSource>(*wanted.config, *wanted.parser, wanted.rules,
                                                    self_, config_dir_));
      continue;
    }
    if (sources_.contains(name)) continue;
    auto source = MakeSource(*wanted.config, *wanted.parser, wanted.rules);
    if (running_) StartSource(*source);
    sources_.emplace(name, std::move(source));
  }

  files_ = std::move(loaded->files);
  rule_count_ = 0;
  for (const auto& rules : loaded->rule_sets) rule_count_ += rules->rules().size();
  return true;
}

bool Runtime::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = true;
  bool ok = true;
  for (auto& [name, source] : sources_) ok = StartSource(*source) && ok;
  return ok;
}

void Runtime::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  for (auto& [name, source] : sources_) source->Stop();
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
  std::vector<std::shared_ptr<PullSource>> pulls;
  std::shared_ptr<const Schema> schema;
  std::size_t max_series;
  {
    // A snapshot: a reload during the scrape does not pull anything away.
    std::lock_guard<std::mutex> lock(mu_);
    pulls = pulls_;
    schema = schema_;
    max_series = max_series_per_family_;
  }
  // Every pulled source at once, each bounded by its own timeout. The last
  // one runs on this thread: a single pulled source, the common case, then
  // costs no thread start.
  std::vector<std::unique_ptr<SeriesStore>> scraped;
  for (std::size_t i = 0; i < pulls.size(); ++i) {
    scraped.push_back(std::make_unique<SeriesStore>(*schema, max_series, /*own_metrics=*/false));
  }
  std::vector<std::future<bool>> done;
  for (std::size_t i = 0; i + 1 < pulls.size(); ++i) {
    done.push_back(std::async(
        std::launch::async,
        [pull = pulls[i].get(), store = scraped[i].get()] { return pull->Scrape(*store); }));
  }
  if (!pulls.empty()) pulls.back()->Scrape(*scraped.back());
  for (auto& d : done) d.wait();

  const CollectableExposable self(*self_.registry());
  std::vector<const Exposable*> exposables = {store_.get()};
  for (const auto& store : scraped) exposables.push_back(store.get());
  exposables.push_back(&self);
  return RenderExposition(exposables);
}

std::optional<std::string> Runtime::Explain(const std::string& source,
                                            std::string_view input) const {
  Explainable explainable;
  std::shared_ptr<const Schema> schema;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = explainable_.find(source);
    if (it == explainable_.end()) return std::nullopt;
    explainable = it->second;
    schema = schema_;
  }
  return ExplainInput(*explainable.rules, *schema, explainable.parser, explainable.framing, input);
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
