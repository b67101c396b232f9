// The tail gauges of a file source, through a real tailer and pipeline:
// files followed, lag, when a line was last read, and what leaves the
// exposition when the source stops.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/fd_budget.h"
#include "adapter/sources/file_tailer.h"
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// The sample lines of `self` for the family `name` (no HELP or TYPE).
std::vector<std::string> Samples(const SelfMetrics& self, const std::string& name) {
  const CollectableExposable exposable(*self.registry());
  const std::string text = RenderExposition({&exposable});
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.starts_with(name + "{")) out.push_back(line);
    start = end + 1;
  }
  return out;
}

TEST_CASE("tail gauges: files and lag per scan, last read per line, removed with the source") {
  TempDir dir("tail-gauges");
  dir.Write("logs/a.log", "");
  dir.Write("logs/b.log", "");
  Diagnostics diags;
  Schema schema;
  const std::string rules_file =
      METRICS_ADAPTER_SOURCE_DIR "/rules/library/nginx/combined_request_time.yaml";
  std::shared_ptr<const RuleSet> rules = LoadRuleFiles({rules_file}, schema, diags).rule_set;
  REQUIRE(rules != nullptr);
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  SelfMetrics self;
  auto pipeline =
      std::make_unique<SourcePipeline>("app", DefaultParserChoice(), rules, &store, self, "");
  TailerOptions options;
  options.paths = {dir / "logs/*.log", dir / "missing/*.log"};
  auto tailer = std::make_unique<FileTailer>(options, pipeline.get());
  tailer->Poll();
  CHECK(Samples(self, "metrics_adapter_source_files") ==
        std::vector<std::string>{"metrics_adapter_source_files{source=\"app\"} 2"});
  CHECK(Samples(self, "metrics_adapter_file_lag_bytes") ==
        std::vector<std::string>{"metrics_adapter_file_lag_bytes{source=\"app\"} 0"});
  CHECK(Samples(self, "metrics_adapter_source_last_read_timestamp_seconds").empty());

  std::ofstream(dir / "logs/a.log", std::ios::app) << "not an access log line\n";
  tailer->Poll();
  const std::vector<std::string> last_read =
      Samples(self, "metrics_adapter_source_last_read_timestamp_seconds");
  REQUIRE(last_read.size() == 1);
  const double when = std::stod(last_read[0].substr(last_read[0].rfind(' ') + 1));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(when <= now);
  CHECK(when > now - 3600);

  // The source stops (a reload removed it): no stale file count remains.
  tailer.reset();
  pipeline.reset();
  CHECK(Samples(self, "metrics_adapter_source_files").empty());
  CHECK(Samples(self, "metrics_adapter_file_lag_bytes").empty());
  CHECK(Samples(self, "metrics_adapter_source_last_read_timestamp_seconds").size() == 1);
}

TEST_CASE("tail gauges: files skipped by reason, waiting and the limit, removed with the source") {
  TempDir dir("tail-skipped");
  for (int i = 0; i < 5; ++i) dir.Write("logs/f" + std::to_string(i) + ".log", "");
  dir.Write("links/target", "");
  std::filesystem::create_symlink(dir / "links/target", dir / "logs/link.log");
  std::filesystem::create_directory(dir / "logs/dir.log");
  Diagnostics diags;
  Schema schema;
  const std::string rules_file =
      METRICS_ADAPTER_SOURCE_DIR "/rules/library/nginx/combined_request_time.yaml";
  std::shared_ptr<const RuleSet> rules = LoadRuleFiles({rules_file}, schema, diags).rule_set;
  REQUIRE(rules != nullptr);
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  SelfMetrics self;
  auto pipeline =
      std::make_unique<SourcePipeline>("app", DefaultParserChoice(), rules, &store, self, "");
  TailerOptions options;
  options.paths = {dir / "logs/*.log", dir / "logs/dir.log"};
  options.max_files = 3;
  options.follow_symlinks = false;
  FdBudget budget(100000);
  auto tailer = std::make_unique<FileTailer>(options, pipeline.get(), nullptr, &budget);
  tailer->Poll();
  tailer->Poll();
  CHECK(Samples(self, "metrics_adapter_files_skipped_total") ==
        std::vector<std::string>{
            "metrics_adapter_files_skipped_total{reason=\"max_files\",source=\"app\"} 2",
            "metrics_adapter_files_skipped_total{reason=\"not_regular\",source=\"app\"} 1",
            "metrics_adapter_files_skipped_total{reason=\"symlink\",source=\"app\"} 1"});
  CHECK(Samples(self, "metrics_adapter_source_files_waiting") ==
        std::vector<std::string>{"metrics_adapter_source_files_waiting{source=\"app\"} 2"});
  CHECK(Samples(self, "metrics_adapter_source_files_limit") ==
        std::vector<std::string>{"metrics_adapter_source_files_limit{source=\"app\"} 3"});

  tailer.reset();
  pipeline.reset();
  CHECK(Samples(self, "metrics_adapter_source_files_waiting").empty());
  CHECK(Samples(self, "metrics_adapter_source_files_limit").empty());
}

}  // namespace
}  // namespace metrics_adapter
