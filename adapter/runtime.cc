#include "adapter/runtime.h"

#include <filesystem>

#include "adapter/exposition.h"
#include "parsers/registry.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {

std::unique_ptr<Runtime> Runtime::Build(const AdapterConfig& config, Mode mode,
                                        Diagnostics& diags) {
  std::unique_ptr<Runtime> runtime(new Runtime());
  std::vector<std::shared_ptr<const RuleSet>> rule_sets;
  for (const SourceConfig& source : config.sources) {
    RuleFiles files = LoadRuleFiles(source.rule_files, source.parser, runtime->schema_, diags);
    rule_sets.push_back(files.rule_set);
    if (files.rule_set) runtime->rule_count_ += files.rule_set->rules().size();
  }
  if (diags.HasErrors()) return nullptr;

  runtime->store_ = std::make_unique<SeriesStore>(runtime->schema_);
  const std::string base = std::filesystem::path(config.path).parent_path().string();
  for (std::size_t i = 0; i < config.sources.size(); ++i) {
    const SourceConfig& config_source = config.sources[i];
    Source source;
    source.pipeline = std::make_unique<SourcePipeline>(
        config_source.name, FindParser(config_source.parser)->create(), rule_sets[i],
        *runtime->store_, runtime->self_, base);
    TailerOptions options = config_source.tailer;
    if (mode == Mode::kOnce) options.from_beginning = true;
    if (mode != Mode::kCheck) source.tailer = std::make_unique<FileTailer>(options, source.pipeline.get());
    runtime->sources_.push_back(std::move(source));
  }
  return runtime;
}

Runtime::~Runtime() { Stop(); }

void Runtime::Start() {
  for (Source& source : sources_) {
    if (!source.tailer) continue;
    FileTailer* tailer = source.tailer.get();
    threads_.emplace_back([tailer](std::stop_token stop) { tailer->Run(stop); });
  }
}

void Runtime::Stop() {
  for (std::jthread& thread : threads_) thread.request_stop();
  threads_.clear();  // joins
}

void Runtime::ReadOnce() {
  for (Source& source : sources_) {
    if (!source.tailer) continue;
    source.tailer->Poll();
    source.tailer->FlushPartialLines();
  }
}

std::string Runtime::Exposition() const {
  return RenderExposition({store_.get(), self_.registry().get()});
}

std::string Runtime::RuleExposition() const { return RenderExposition({store_.get()}); }

}  // namespace metrics_adapter
