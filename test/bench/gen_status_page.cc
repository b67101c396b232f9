// gen_status_page: writes a generated status page to stdout, for the benchmarks.
//
//   gen_status_page nginx_plus_json|haproxy_csv|redis_info
//
// The pages are those of parsers_bench (test/bench/status_pages.cc): the same
// bytes on every run and machine. test/bench/scrape_overhead.sh serves them
// with nginx and scrapes them through the adapter.

#include <cstdio>
#include <cstring>
#include <string>

#include "status_pages.h"

int main(int argc, char** argv) {
  const char* usage = "usage: gen_status_page nginx_plus_json|haproxy_csv|redis_info\n";
  if (argc != 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string page;
  if (std::strcmp(argv[1], "nginx_plus_json") == 0) {
    page = metrics_adapter::NginxPlusJson();
  } else if (std::strcmp(argv[1], "haproxy_csv") == 0) {
    page = metrics_adapter::HaproxyCsv();
  } else if (std::strcmp(argv[1], "redis_info") == 0) {
    page = metrics_adapter::RedisInfo();
  } else {
    std::fputs(usage, stderr);
    return 2;
  }
  if (std::fwrite(page.data(), 1, page.size(), stdout) != page.size() || std::fflush(stdout) != 0) {
    std::perror("gen_status_page: write");
    return 1;
  }
  return 0;
}
