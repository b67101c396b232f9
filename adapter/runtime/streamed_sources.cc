#include "adapter/runtime/streamed_sources.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/file_tailer.h"
#include "adapter/sources/line_listener.h"

namespace metrics_adapter {

struct StreamedSources::Source {
  SourceConfig config;
  ParserChoice parser;
  std::unique_ptr<SourcePipeline> pipeline;
  std::unique_ptr<TailerPositions> positions;  // type file with positions; outlives tailer
  std::unique_ptr<FileTailer> tailer;          // type file
  std::jthread thread;                         // runs the tailer
  std::unique_ptr<LineListener> listener;      // types udp, tcp_listener

  void Stop() {
    thread = std::jthread();  // request stop and join
    listener.reset();         // closes the socket, joins its thread
  }
};

namespace {

// How long Start() waits for the tailers' first passes.
constexpr std::chrono::seconds kFirstPassWait{5};

// Whether a running source can keep its input (file positions, a bound
// socket) under the new config, switching only its rules.
bool CanKeep(const SourceConfig& running, const ParserChoice& running_parser,
             const LoadedSource& next) {
  if (running.type != next.config.type || !(running_parser == next.parser)) return false;
  if (running.type == "file") return running.tailer == next.config.tailer;
  return running.listener.address == next.config.listener.address &&
         running.listener.max_line_bytes == next.config.listener.max_line_bytes &&
         running.listener.framing == next.config.listener.framing &&
         running.listener.max_connections == next.config.listener.max_connections &&
         running.listener.idle_timeout == next.config.listener.idle_timeout;
}

}  // namespace

StreamedSources::StreamedSources(RunMode mode, MatchWorkers* workers)
    : mode_(mode), workers_(workers) {}

StreamedSources::~StreamedSources() { Stop(); }

void StreamedSources::RemoveChanged(const SourcesByName& next) {
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto wanted = next.find(it->first);
    if (wanted != next.end() && CanKeep(it->second->config, it->second->parser, *wanted->second)) {
      ++it;
      continue;
    }
    spdlog::info("source {}: {}", it->first, wanted == next.end() ? "removed" : "replaced");
    it->second->Stop();
    it = sources_.erase(it);
  }
}

void StreamedSources::SwapRulesLocked(const SourcesByName& next) {
  for (auto& [name, source] : sources_) {
    const LoadedSource& wanted = *next.at(name);
    source->pipeline->SetRulesLocked(wanted.rules, wanted.labels);
    source->config = wanted.config;
  }
}

void StreamedSources::AddNew(const SourcesByName& next, SeriesStore* store, SelfMetrics& self,
                             const std::string& config_dir, Positions* positions) {
  for (const auto& [name, wanted] : next) {
    if (wanted->config.pulled() || sources_.contains(name)) continue;
    auto source = std::make_unique<Source>();
    source->config = wanted->config;
    source->parser = wanted->parser;
    source->pipeline = std::make_unique<SourcePipeline>(name, wanted->parser, wanted->rules, store,
                                                        self, config_dir, workers_, wanted->labels);
    const std::string& type = wanted->config.type;
    // A file source's file events read 0 from the start; other types have none.
    if (type == "file") self.ForFileSource(name);
    if (type == "file" && mode_ != RunMode::kCheck) {
      TailerOptions options = wanted->config.tailer;
      if (mode_ == RunMode::kOnce) options.from_beginning = true;
      if (positions != nullptr && mode_ == RunMode::kFollow) {
        source->positions = positions->ForSource(name);
      }
      source->tailer =
          std::make_unique<FileTailer>(options, source->pipeline.get(), source->positions.get());
    }
    if (running_) StartSource(*source);
    sources_.emplace(name, std::move(source));
  }
}

bool StreamedSources::StartSource(Source& source) {
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

bool StreamedSources::Start() {
  running_ = true;
  bool ok = true;
  // Listeners first: each keeps the descriptors of its connections from what
  // followed files may take (fd_budget.h) before any tailer opens a file.
  for (const bool listeners : {true, false}) {
    for (auto& [name, source] : sources_) {
      const bool listens = source->config.type == "udp" || source->config.type == "tcp_listener";
      if (listens == listeners) ok = StartSource(*source) && ok;
    }
  }
  WaitFirstPasses();
  return ok;
}

void StreamedSources::WaitFirstPasses() {
  const auto deadline = std::chrono::steady_clock::now() + kFirstPassWait;
  for (auto& [name, source] : sources_) {
    if (!source->tailer) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!source->tailer->WaitFirstPass(std::max(left, std::chrono::milliseconds(0)))) {
      spdlog::warn(
          "source {}: its files were not all opened within {}s of the start; lines "
          "written meanwhile may be missed by a source that starts at files' ends",
          name, kFirstPassWait.count());
    }
  }
}

void StreamedSources::Stop() {
  running_ = false;
  for (auto& [name, source] : sources_) source->Stop();
}

void StreamedSources::ReadOnce() {
  for (auto& [name, source] : sources_) {
    if (!source->tailer) continue;
    source->tailer->Poll();
    source->tailer->FlushPartialLines();
  }
}

}  // namespace metrics_adapter
