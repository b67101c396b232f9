// Deterministic, realistic status pages for the benchmarks: the same bytes on
// every run and machine. Used by parsers_bench (in process) and by
// gen_status_page (written to files that scrape_overhead.sh serves with nginx).
#pragma once

#include <cstddef>
#include <string>

namespace metrics_adapter {

// The size the pages are generated to (give or take a row).
inline constexpr std::size_t kStatusPageSize = 100 * 1024;

// An nginx plus /api/9 document of about 100 KiB: server zones, then
// upstreams with peers, compact as the API serves it.
std::string NginxPlusJson();

// A haproxy 2.8 `;csv` stats page of about 100 KiB: per backend a
// frontend-like line, 8 servers and the BACKEND summary; every line ends with
// the separator, as haproxy's do.
std::string HaproxyCsv();

// A redis 7 `INFO everything` dump: sections, \r\n line ends, command and
// latency statistics and keyspace lines with sub-fields.
std::string RedisInfo();

}  // namespace metrics_adapter
