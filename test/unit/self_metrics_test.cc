// SelfMetrics: a pulled source's gauges live while some PullSource of that
// name holds them, and leave the exposition with the last holder; the HTTP
// server's metrics are registered on first use; file events are counted
// for file sources only.
#include "adapter/store/self_metrics.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adapter/exposition/exposition.h"

namespace metrics_adapter {
namespace {

// The sample lines of `self` that mention `source`.
std::vector<std::string> LinesOf(const SelfMetrics& self, const std::string& source) {
  std::vector<std::string> out;
  const CollectableExposable exposable(*self.registry());
  const std::string text = RenderExposition({&exposable});
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.front() != '#' && line.find("source=\"" + source + "\"") != std::string::npos) {
      out.push_back(line);
    }
    start = end + 1;
  }
  return out;
}

TEST_CASE("a pulled source's gauges leave with their last holder") {
  SelfMetrics self;
  SelfMetrics::PulledGauges old_gauges = self.AcquirePulled("status");
  old_gauges.up->Set(1);
  old_gauges.duration->Set(0.25);
  // A reload builds the new source while the old one may still be scraping.
  SelfMetrics::PulledGauges new_gauges = self.AcquirePulled("status");
  CHECK(new_gauges.up == old_gauges.up);  // one series, shared
  self.ReleasePulled("status");           // the old source goes
  CHECK(
      LinesOf(self, "status") ==
      std::vector<std::string>{"metrics_adapter_source_up{source=\"status\"} 1",
                               "metrics_adapter_source_scrape_duration_seconds{source=\"status\"} "
                               "0.25"});
  self.ReleasePulled("status");  // the source is removed from the config
  CHECK(LinesOf(self, "status").empty());

  // Added again later: fresh series.
  SelfMetrics::PulledGauges again = self.AcquirePulled("status");
  CHECK(again.up->Value() == 0);
  CHECK(LinesOf(self, "status").size() == 2);
  self.ReleasePulled("status");
  self.ReleasePulled("never_acquired");  // harmless
  CHECK(LinesOf(self, "status").empty());
}

TEST_CASE("only a file source shows the file events' counters") {
  SelfMetrics self;
  self.ForSource("status_page");  // a pulled source, or a listener
  for (const std::string& line : LinesOf(self, "status_page")) {
    CAPTURE(line);
    CHECK(line.find("rotations") == std::string::npos);
    CHECK(line.find("files_deleted") == std::string::npos);
    CHECK(line.find("read_errors") == std::string::npos);
  }
  CHECK(!LinesOf(self, "status_page").empty());  // its lines read and the like

  self.ForSource("access");
  FileSourceMetrics& file = self.ForFileSource("access");
  CHECK(&self.ForFileSource("access") == &file);
  file.rotations_rename->Increment();
  const std::vector<std::string> lines = LinesOf(self, "access");
  for (const char* line :
       {"metrics_adapter_read_errors_total{source=\"access\"} 0",
        "metrics_adapter_file_rotations_total{kind=\"rename\",source=\"access\"} 1",
        "metrics_adapter_file_rotations_total{kind=\"truncate\",source=\"access\"} 0",
        "metrics_adapter_files_deleted_total{source=\"access\"} 0"}) {
    CAPTURE(line);
    CHECK(std::find(lines.begin(), lines.end(), line) != lines.end());
  }
}

TEST_CASE("the HTTP server's metrics appear only once asked for, then stay the same") {
  SelfMetrics self;
  const CollectableExposable exposable(*self.registry());
  CHECK(RenderExposition({&exposable}).find("metrics_adapter_http_") == std::string::npos);
  SelfMetrics::HttpMetrics& http = self.Http();
  CHECK(&self.Http() == &http);
  http.requests->Add({{"handler", "/healthz"}, {"code", "200"}}).Increment();
  http.in_flight->Increment();
  http.scrapes_rejected->Increment(2);
  http.connections_dropped->Add({{"reason", "body_timeout"}}).Increment();
  const std::string text = RenderExposition({&exposable});
  for (const char* line :
       {"metrics_adapter_http_requests_total{code=\"200\",handler=\"/healthz\"} 1",
        "metrics_adapter_http_requests_in_flight 1",
        "metrics_adapter_http_scrapes_rejected_total 2",
        "metrics_adapter_http_connections_dropped_total{reason=\"body_timeout\"} 1"}) {
    CAPTURE(line);
    CHECK(text.find(std::string(line) + "\n") != std::string::npos);
  }
}

}  // namespace
}  // namespace metrics_adapter
