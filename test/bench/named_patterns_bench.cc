// What named patterns cost on the hot path: the shipped nginx rules
// (combined + $request_time) as hand-written regexes against the same rules
// written with %{...} (test/bench/nginx_named_patterns.yaml; and with the
// time stamp checked by %{HTTPDATE}: nginx_named_patterns_httpdate.yaml), matching and
// applying every line of one log. Rounds alternate between the two so that
// both see the same machine load; the best round of each is printed, and
// their ratio. Plain main, no framework.
//
//   build/release/test/bench/gen_access_log --lines 1000000 > access.log
//   build/release/test/bench/named_patterns_bench access.log [ROUNDS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "adapter/store/series_store.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

struct Variant {
  const char* name;
  const char* rule_file;
  Schema schema;
  std::shared_ptr<const RuleSet> rules;
  double best_seconds = 1e300;
  std::uint64_t matched = 0;
};

void Load(Variant& variant) {
  Diagnostics diags;
  variant.rules = LoadRuleFiles({variant.rule_file}, variant.schema, diags).rule_set;
  if (!variant.rules) {
    std::fprintf(stderr, "%s", diags.Format().c_str());
    std::exit(1);
  }
}

// One pass over `lines`: seconds taken; the lines some rule matched into
// variant.matched.
double RunOnce(Variant& variant, const std::vector<std::string>& lines) {
  SeriesStore store(variant.schema);
  MatchScratch scratch(*variant.rules);
  MatchCounts counts(*variant.rules);
  std::uint64_t matched = 0;
  const Clock::time_point start = Clock::now();
  {
    SeriesStore::Writer writer = store.Write();
    for (const std::string& line : lines)
      matched += variant.rules->Match(line, scratch, counts, writer);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  variant.matched = matched;
  return seconds;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: named_patterns_bench ACCESS_LOG [ROUNDS]\n");
    return 2;
  }
  std::vector<std::string> lines;
  std::ifstream in(argv[1]);
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;

  Variant variants[] = {
      {"hand-written regexes",
       METRICS_ADAPTER_SOURCE_DIR "/rules/library/nginx/combined_request_time.yaml"},
      {"named patterns", METRICS_ADAPTER_SOURCE_DIR "/test/bench/nginx_named_patterns.yaml"},
      {"... with %{HTTPDATE}",
       METRICS_ADAPTER_SOURCE_DIR "/test/bench/nginx_named_patterns_httpdate.yaml"},
  };
  for (Variant& variant : variants) Load(variant);
  for (int round = 0; round < rounds; ++round) {
    for (Variant& variant : variants) {
      variant.best_seconds = std::min(variant.best_seconds, RunOnce(variant, lines));
    }
  }
  std::printf("%zu lines, best of %d rounds each\n", lines.size(), rounds);
  for (const Variant& variant : variants) {
    std::printf("  %-22s %8.0f lines/s  %.3f s  (%llu matched)\n", variant.name,
                static_cast<double>(lines.size()) / variant.best_seconds, variant.best_seconds,
                static_cast<unsigned long long>(variant.matched));
  }
  std::printf("named patterns / hand-written time: %.3f\n",
              variants[1].best_seconds / variants[0].best_seconds);
  std::printf("with %%{HTTPDATE} / hand-written time: %.3f\n",
              variants[2].best_seconds / variants[0].best_seconds);
  const bool same =
      variants[0].matched == variants[1].matched && variants[0].matched == variants[2].matched;
  return same ? 0 : 1;
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) { return metrics_adapter::Main(argc, argv); }
