#include "adapter/runtime/position_saver.h"

#include <spdlog/spdlog.h>

#include <string>

namespace metrics_adapter {

PositionSaver::PositionSaver(PositionsConfig config, SelfMetrics& self)
    : config_(std::move(config)),
      metrics_(self.Positions()),
      positions_(config_.path, this),
      log_limiter_(std::chrono::seconds(60)) {
  if (std::string warning = positions_.Load(); !warning.empty()) {
    metrics_.load_errors->Increment();
    spdlog::warn(
        "positions file {} cannot be read, starting as if there were none (every file is read "
        "from its start): {}",
        config_.path, warning);
  } else if (!positions_.loaded_clean()) {
    spdlog::warn(
        "positions file {} was not saved at a clean shutdown: lines counted in the last "
        "sync_interval ({} ms) before the adapter stopped may be counted again",
        config_.path, config_.sync_interval.count());
  }
}

PositionSaver::~PositionSaver() { timer_ = std::jthread(); }

void PositionSaver::Start() {
  if (timer_.joinable() || saved_at_shutdown_) return;
  timer_ = std::jthread([this](std::stop_token stop) { Tick(stop); });
}

void PositionSaver::Tick(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    // Nothing notifies wake_: the wait ends at the interval or on a stop request.
    wake_.wait_for(lock, stop, config_.sync_interval, [] { return false; });
    if (stop.stop_requested()) return;
    Save(false);
  }
}

void PositionSaver::SaveAtShutdown() {
  if (saved_at_shutdown_) return;
  timer_ = std::jthread();  // no periodic save after the final one
  saved_at_shutdown_ = true;
  Save(true);
}

void PositionSaver::Save(bool clean_shutdown) {
  std::string error;
  if (positions_.Save(clean_shutdown, &error)) {
    metrics_.writes->Increment();
    return;
  }
  metrics_.write_errors->Increment();
  if (auto suppressed = log_limiter_.Allow("write")) {
    spdlog::warn("cannot save positions: {} ({} similar messages suppressed)", error, *suppressed);
  }
}

void PositionSaver::OnResumed(std::string_view source, bool clean) {
  metrics_.resumed_files
      ->Add({{"source", std::string(source)}, {"shutdown", clean ? "clean" : "unclean"}})
      .Increment();
}

void PositionSaver::OnReplaced(std::string_view source) {
  metrics_.replaced_files->Add({{"source", std::string(source)}}).Increment();
}

}  // namespace metrics_adapter
