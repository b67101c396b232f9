// PositionSaver keeps the positions file of a running adapter (`positions:`
// in the config): it loads it at start, saves it every sync_interval on a
// thread of its own and once more at shutdown, after the tailers stopped,
// marked clean; and counts what happens in the adapter's own metrics.
//
// Usage:
//   PositionSaver saver(config.positions.value(), self);  // loads; warns if unreadable
//   std::unique_ptr<TailerPositions> hook = saver.positions().ForSource("access");
//   FileTailer tailer(options, &pipeline, hook.get());
//   saver.Start();
//   ...                                                    // tailers stopped
//   saver.SaveAtShutdown();
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "adapter/base/log_limiter.h"
#include "adapter/config/config.h"
#include "adapter/sources/positions.h"
#include "adapter/store/self_metrics.h"

namespace metrics_adapter {

class PositionSaver : private PositionsEvents {
 public:
  // Loads `config.path`. An unreadable or malformed file is a warning (the
  // file and the problem named, counted in load_errors) and the adapter
  // starts as if there were none.
  PositionSaver(PositionsConfig config, SelfMetrics& self);
  // Stops the timer; does not save (SaveAtShutdown does).
  ~PositionSaver() override;
  PositionSaver(const PositionSaver&) = delete;
  PositionSaver& operator=(const PositionSaver&) = delete;

  Positions& positions() { return positions_; }
  const PositionsConfig& config() const { return config_; }

  // Starts saving every sync_interval. Idempotent.
  void Start();
  // Stops the timer and saves, marked as written at a clean shutdown. Call
  // once every tailer has stopped, so that every offset is final. Later
  // calls do nothing.
  void SaveAtShutdown();

 private:
  void OnResumed(std::string_view source, bool clean) override;
  void OnReplaced(std::string_view source) override;
  void Save(bool clean_shutdown);
  void Tick(std::stop_token stop);

  const PositionsConfig config_;
  SelfMetrics::PositionsMetrics& metrics_;
  Positions positions_;
  LogLimiter log_limiter_;
  std::mutex mu_;  // for the timer's wait
  std::condition_variable_any wake_;
  bool saved_at_shutdown_ = false;
  std::jthread timer_;
};

}  // namespace metrics_adapter
