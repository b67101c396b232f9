// Micro-benchmarks of the format parsers alone (statsd, graphite, influx,
// logfmt, prometheus) on realistic input, with a sink that only counts: the
// cost of turning input into records, before any rule runs. They report
// records/s (items_per_second) and input bytes/s.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

class CountingSink : public RecordSink {
 public:
  void OnRecord(const Record& record) override {
    ++records;
    labels += record.labels.size();
  }
  void OnParseError(std::string_view) override { ++errors; }
  std::uint64_t records = 0;
  std::uint64_t labels = 0;
  std::uint64_t errors = 0;
};

std::unique_ptr<Parser> Make(std::string_view name) {
  const ParserInfo* info = FindParser(name);
  std::string error;
  std::unique_ptr<Parser> parser = info ? info->create(info->Defaults(), &error) : nullptr;
  if (!parser) {
    std::fprintf(stderr, "cannot create parser %.*s: %s\n", static_cast<int>(name.size()),
                 name.data(), error.c_str());
    std::abort();
  }
  return parser;
}

// A fixed pseudo-random sequence, so every run parses the same input.
std::uint32_t Next(std::uint32_t& state) {
  state = state * 1664525u + 1013904223u;
  return state >> 8;
}

const char* const kRoutes[] = {"/api/v1/items", "/api/v1/orders", "/api/v1/users/login", "/healthz",
                               "/static/app.js"};
const char* const kHosts[] = {"web-7f9c5d-abcde", "web-7f9c5d-fghij", "worker-0", "worker-1"};

std::vector<std::string> StatsdLines() {
  std::vector<std::string> lines;
  std::uint32_t s = 1;
  for (int i = 0; i < 1024; ++i) {
    const std::string route = kRoutes[Next(s) % 5];
    const std::string host = kHosts[Next(s) % 4];
    switch (i % 4) {
      case 0:
        lines.push_back("myapp.http.requests:1|c|@0.5|#env:prod,route:" + route + ",host:" + host);
        break;
      case 1:
        lines.push_back("myapp.http.request_duration:" + std::to_string(Next(s) % 900) +
                        ".25|ms|#env:prod,route:" + route + ",status:200");
        break;
      case 2:
        lines.push_back("myapp.queue.depth:" + std::to_string(Next(s) % 100) + "|g|#queue:emails");
        break;
      default:
        lines.push_back("myapp.users.active:user" + std::to_string(Next(s) % 5000) + "|s");
    }
  }
  return lines;
}

std::vector<std::string> GraphiteLines() {
  std::vector<std::string> lines;
  std::uint32_t s = 2;
  for (int i = 0; i < 1024; ++i) {
    const std::string host = kHosts[Next(s) % 4];
    const std::string value = std::to_string(Next(s) % 10000) + "." + std::to_string(Next(s) % 100);
    if (i % 2 == 0) {
      lines.push_back("servers." + host + ".cpu.user " + value + " 1700000000");
    } else {
      lines.push_back("disk.used;datacenter=dc1;server=" + host + ";mount=/var " + value +
                      " 1700000000");
    }
  }
  return lines;
}

std::vector<std::string> InfluxLines() {
  std::vector<std::string> lines;
  std::uint32_t s = 3;
  for (int i = 0; i < 1024; ++i) {
    const std::string host = kHosts[Next(s) % 4];
    if (i % 2 == 0) {
      lines.push_back("cpu,host=" + host + ",region=eu-west-1,cpu=cpu-total usage_user=" +
                      std::to_string(Next(s) % 100) +
                      ".5,usage_system=" + std::to_string(Next(s) % 100) + ".25,usage_idle=" +
                      std::to_string(Next(s) % 100) + ".125,usage_iowait=0.1 1700000000000000000");
    } else {
      lines.push_back("http,host=" + host +
                      ",method=GET requests=" + std::to_string(Next(s) % 100000) +
                      "i,errors=" + std::to_string(Next(s) % 10) +
                      "i,healthy=t,version=\"1.4.2\" " + "1700000000000000000");
    }
  }
  return lines;
}

std::vector<std::string> LogfmtLines() {
  std::vector<std::string> lines;
  std::uint32_t s = 4;
  const char* const levels[] = {"info", "info", "info", "warn", "error"};
  for (int i = 0; i < 1024; ++i) {
    lines.push_back("ts=2024-05-01T10:00:" + std::to_string(10 + i % 50) + ".123Z level=" +
                    levels[Next(s) % 5] + " method=GET route=" + kRoutes[Next(s) % 5] +
                    " status=200 duration=0.0" + std::to_string(Next(s) % 1000) +
                    " bytes=" + std::to_string(Next(s) % 65536) + " msg=\"request done\"");
  }
  return lines;
}

// About 100 KiB of a typical /metrics page: counters, gauges and histograms
// with a few labels each, with HELP and TYPE lines.
std::string PrometheusBody() {
  std::string body;
  std::uint32_t s = 5;
  const char* const buckets[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                 "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  for (int family = 0; body.size() < 100 * 1024; ++family) {
    const std::string name = "myapp_http_request_duration_seconds_" + std::to_string(family);
    body += "# HELP " + name + " Time spent serving HTTP requests.\n";
    body += "# TYPE " + name + " histogram\n";
    for (const char* route : kRoutes) {
      const std::string labels = "method=\"GET\",route=\"" + std::string(route) + "\"";
      std::uint64_t count = 0;
      for (const char* le : buckets) {
        count += Next(s) % 100;
        body += name + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(count) + "\n";
      }
      body += name + "_sum{" + labels + "} " + std::to_string(Next(s) % 100000) + ".5\n";
      body += name + "_count{" + labels + "} " + std::to_string(count) + "\n";
    }
    const std::string counter = "myapp_requests_total_" + std::to_string(family);
    body += "# TYPE " + counter + " counter\n";
    for (const char* code : {"200", "404", "500"}) {
      body += counter + "{code=\"" + code + "\"} " + std::to_string(Next(s)) + " 1700000000000\n";
    }
    body += "myapp_up_" + std::to_string(family) + " 1\n";
  }
  return body;
}

void RunLines(benchmark::State& state, std::string_view parser_name,
              const std::vector<std::string>& lines) {
  std::unique_ptr<Parser> parser = Make(parser_name);
  CountingSink sink;
  std::size_t i = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    parser->Parse(line, sink);
    bytes += static_cast<std::int64_t>(line.size());
  }
  if (sink.errors != 0) state.SkipWithError("the sample input has parse errors");
  benchmark::DoNotOptimize(sink.labels);
  state.SetItemsProcessed(static_cast<std::int64_t>(sink.records));
  state.SetBytesProcessed(bytes);
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["records/line"] =
      static_cast<double>(sink.records) / static_cast<double>(state.iterations());
}

void BM_Statsd(benchmark::State& state) {
  static const std::vector<std::string> lines = StatsdLines();
  RunLines(state, "statsd", lines);
}
BENCHMARK(BM_Statsd);

void BM_Graphite(benchmark::State& state) {
  static const std::vector<std::string> lines = GraphiteLines();
  RunLines(state, "graphite", lines);
}
BENCHMARK(BM_Graphite);

void BM_Influx(benchmark::State& state) {
  static const std::vector<std::string> lines = InfluxLines();
  RunLines(state, "influx", lines);
}
BENCHMARK(BM_Influx);

void BM_Logfmt(benchmark::State& state) {
  static const std::vector<std::string> lines = LogfmtLines();
  RunLines(state, "logfmt", lines);
}
BENCHMARK(BM_Logfmt);

// One scrape of a ~100 KiB page per iteration.
void BM_PrometheusBody(benchmark::State& state) {
  static const std::string body = PrometheusBody();
  std::unique_ptr<Parser> parser = Make("prometheus");
  CountingSink sink;
  for (auto _ : state) parser->Parse(body, sink);
  if (sink.errors != 0) state.SkipWithError("the sample input has parse errors");
  benchmark::DoNotOptimize(sink.labels);
  state.SetItemsProcessed(static_cast<std::int64_t>(sink.records));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
  state.counters["records/body"] =
      static_cast<double>(sink.records) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_PrometheusBody);

}  // namespace
}  // namespace metrics_adapter

BENCHMARK_MAIN();
