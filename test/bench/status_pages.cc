#include "status_pages.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr std::size_t kTargetSize = kStatusPageSize;

// Deterministic pseudo-random numbers, so every run parses the same bodies.
class Numbers {
 public:
  std::uint64_t Next(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state_ >> 33) % bound;
  }
  std::string Str(std::uint64_t bound) { return std::to_string(Next(bound)); }

 private:
  std::uint64_t state_ = 42;
};

// The columns of haproxy 2.8 `show stat` / `;csv`.
constexpr const char* kHaproxyColumns[] = {"pxname",
                                           "svname",
                                           "qcur",
                                           "qmax",
                                           "scur",
                                           "smax",
                                           "slim",
                                           "stot",
                                           "bin",
                                           "bout",
                                           "dreq",
                                           "dresp",
                                           "ereq",
                                           "econ",
                                           "eresp",
                                           "wretr",
                                           "wredis",
                                           "status",
                                           "weight",
                                           "act",
                                           "bck",
                                           "chkfail",
                                           "chkdown",
                                           "lastchg",
                                           "downtime",
                                           "qlimit",
                                           "pid",
                                           "iid",
                                           "sid",
                                           "throttle",
                                           "lbtot",
                                           "tracked",
                                           "type",
                                           "rate",
                                           "rate_lim",
                                           "rate_max",
                                           "check_status",
                                           "check_code",
                                           "check_duration",
                                           "hrsp_1xx",
                                           "hrsp_2xx",
                                           "hrsp_3xx",
                                           "hrsp_4xx",
                                           "hrsp_5xx",
                                           "hrsp_other",
                                           "hanafail",
                                           "req_rate",
                                           "req_rate_max",
                                           "req_tot",
                                           "cli_abrt",
                                           "srv_abrt",
                                           "comp_in",
                                           "comp_out",
                                           "comp_byp",
                                           "comp_rsp",
                                           "lastsess",
                                           "last_chk",
                                           "last_agt",
                                           "qtime",
                                           "ctime",
                                           "rtime",
                                           "ttime",
                                           "agent_status",
                                           "agent_code",
                                           "agent_duration",
                                           "check_desc",
                                           "agent_desc",
                                           "check_rise",
                                           "check_fall",
                                           "check_health",
                                           "agent_rise",
                                           "agent_fall",
                                           "agent_health",
                                           "addr",
                                           "cookie",
                                           "mode",
                                           "algo",
                                           "conn_rate",
                                           "conn_rate_max",
                                           "conn_tot",
                                           "intercepted",
                                           "dcon",
                                           "dses",
                                           "wrew",
                                           "connect",
                                           "reuse",
                                           "cache_lookups",
                                           "cache_hits",
                                           "srv_icur",
                                           "src_ilim",
                                           "qtime_max",
                                           "ctime_max",
                                           "rtime_max",
                                           "ttime_max",
                                           "eint",
                                           "idle_conn_cur",
                                           "safe_conn_cur",
                                           "used_conn_cur",
                                           "need_conn_est",
                                           "uweight",
                                           "agg_server_status",
                                           "agg_check_status"};

}  // namespace

// An nginx plus /api/9 document: server zones, then upstreams with peers,
// compact as the API serves it.
std::string NginxPlusJson() {
  Numbers n;
  auto responses = [&n](std::string& out) {
    out += R"("responses":{"1xx":0,"2xx":)" + n.Str(1000000) + R"(,"3xx":)" + n.Str(10000) +
           R"(,"4xx":)" + n.Str(10000) + R"(,"5xx":)" + n.Str(100) + R"(,"codes":{"200":)" +
           n.Str(1000000) + R"(,"301":)" + n.Str(1000) + R"(,"304":)" + n.Str(10000) +
           R"(,"404":)" + n.Str(10000) + R"(,"500":)" + n.Str(100) + R"(},"total":)" +
           n.Str(1000000) + "}";
  };
  std::string out = R"({"nginx":{"version":"1.25.3","build":"nginx-plus-r31","address":"10.0.0.1",)"
                    R"("generation":3,"load_timestamp":"2024-01-16T09:00:00.000Z",)"
                    R"("timestamp":"2024-01-16T10:00:00.000Z","pid":1234,"ppid":1},)"
                    R"("processes":{"respawned":0},)";
  out += R"("connections":{"accepted":)" + n.Str(100000000) + R"(,"dropped":0,"active":)" +
         n.Str(1000) + R"(,"idle":)" + n.Str(1000) + "},";
  out += R"("ssl":{"handshakes":)" + n.Str(1000000) + R"(,"handshakes_failed":)" + n.Str(1000) +
         R"(,"session_reuses":)" + n.Str(100000) + "},";
  out += R"("requests":{"total":)" + n.Str(100000000) + R"(,"current":)" + n.Str(100) + "},";
  out += R"("server_zones":{)";
  for (int zone = 0; zone < 20; ++zone) {
    if (zone > 0) out += ',';
    out += R"("zone)" + std::to_string(zone) + R"(.example.com":{"processing":)" + n.Str(10) +
           R"(,"requests":)" + n.Str(1000000) + ',';
    responses(out);
    out += R"(,"discarded":)" + n.Str(100) + R"(,"received":)" + n.Str(100000000) + R"(,"sent":)" +
           n.Str(1000000000) + "}";
  }
  out += R"(},"upstreams":{)";
  for (int upstream = 0; out.size() < kTargetSize - 1024; ++upstream) {
    if (upstream > 0) out += ',';
    const std::string name = "backend" + std::to_string(upstream);
    out += '"' + name + R"(":{"peers":[)";
    for (int peer = 0; peer < 8; ++peer) {
      if (peer > 0) out += ',';
      const std::string server =
          "10.1." + std::to_string(upstream) + "." + std::to_string(peer) + ":8080";
      out += R"({"id":)" + std::to_string(peer) + R"(,"server":")" + server + R"(","name":")" +
             server + R"(","backup":false,"weight":1,"state":")" +
             (n.Next(10) == 0 ? "unhealthy" : "up") + R"(","active":)" + n.Str(50) +
             R"(,"requests":)" + n.Str(1000000) + R"(,"header_time":)" + n.Str(100) +
             R"(,"response_time":)" + n.Str(200) + ',';
      responses(out);
      out += R"(,"sent":)" + n.Str(1000000000) + R"(,"received":)" + n.Str(1000000000) +
             R"(,"fails":)" + n.Str(10) + R"(,"unavail":0,"health_checks":{"checks":)" +
             n.Str(10000) +
             R"(,"fails":0,"unhealthy":0,"last_passed":true},"downtime":0,)"
             R"("selected":"2024-01-16T09:59:59Z"})";
    }
    out += R"(],"keepalive":)" + n.Str(32) + R"(,"zombies":0,"zone":")" + name + R"("})";
  }
  out += "}}";
  return out;
}

// A haproxy stats page: per backend a frontend-like line, 8 servers and the
// BACKEND summary; every line ends with the separator, as haproxy's do.
std::string HaproxyCsv() {
  Numbers n;
  std::string out = "# ";
  for (const char* column : kHaproxyColumns) out += std::string(column) + ',';
  out += '\n';
  auto row = [&](const std::string& px, const std::string& sv, bool server) {
    for (std::string_view column : kHaproxyColumns) {
      if (column == "pxname") {
        out += px;
      } else if (column == "svname") {
        out += sv;
      } else if (column == "status") {
        out += server ? (n.Next(20) == 0 ? "DOWN" : "UP") : "OPEN";
      } else if (column == "check_status") {
        if (server) out += "L7OK";
      } else if (column == "check_desc") {
        if (server) out += "\"Layer7 check passed\"";
      } else if (column == "addr") {
        if (server) out += "10.2.0." + n.Str(250) + ":8080";
      } else if (column == "mode") {
        out += "http";
      } else if (column == "algo") {
        if (!server) out += "roundrobin";
      } else if (column == "cookie" || column == "agent_status" || column == "agent_desc" ||
                 column == "tracked" || column == "throttle" || column == "slim" ||
                 column == "rate_lim" || column == "qlimit") {
        // Mostly empty in real output.
      } else if (n.Next(8) == 0) {
        // haproxy leaves cells empty where a field does not apply.
      } else {
        out += n.Str(column.starts_with("b") ? 1000000000 : 100000);
      }
      out += ',';
    }
    out += '\n';
  };
  for (int backend = 0; out.size() < kTargetSize; ++backend) {
    const std::string px = "be_app" + std::to_string(backend);
    row(px, "FRONTEND", false);
    for (int server = 0; server < 8; ++server) row(px, "srv" + std::to_string(server), true);
    row(px, "BACKEND", false);
  }
  return out;
}

// A redis 7 `INFO everything` dump: sections, \r\n line ends, command and
// latency statistics and keyspace lines with sub-fields.
std::string RedisInfo() {
  Numbers n;
  std::string out;
  auto line = [&out](const std::string& key, const std::string& value) {
    out += key + ':' + value + "\r\n";
  };
  auto section = [&out](const char* name) {
    if (!out.empty()) out += "\r\n";
    out += std::string("# ") + name + "\r\n";
  };
  section("Server");
  line("redis_version", "7.2.4");
  line("redis_git_sha1", "00000000");
  line("redis_mode", "standalone");
  line("os", "Linux 6.1.0-17-amd64 x86_64");
  line("arch_bits", "64");
  line("multiplexing_api", "epoll");
  line("process_id", "1");
  line("run_id", "6c1a0e6f7b1e4f3f8d1c2b3a4e5f60718293a4b5");
  line("tcp_port", "6379");
  line("uptime_in_seconds", n.Str(10000000));
  line("hz", "10");
  line("executable", "/usr/local/bin/redis-server");
  line("config_file", "");
  section("Clients");
  for (const char* key : {"connected_clients", "cluster_connections", "maxclients",
                          "client_recent_max_input_buffer", "client_recent_max_output_buffer",
                          "blocked_clients", "tracking_clients", "clients_in_timeout_table"}) {
    line(key, n.Str(10000));
  }
  section("Memory");
  for (const char* key :
       {"used_memory", "used_memory_rss", "used_memory_peak", "used_memory_overhead",
        "used_memory_startup", "used_memory_dataset", "used_memory_lua", "used_memory_scripts",
        "maxmemory", "allocator_allocated", "allocator_active", "allocator_resident",
        "total_system_memory", "mem_fragmentation_bytes", "mem_clients_normal"}) {
    line(key, n.Str(4000000000));
  }
  line("used_memory_human", "1.21G");
  line("maxmemory_policy", "allkeys-lru");
  line("mem_fragmentation_ratio", "1.0" + n.Str(10));
  line("mem_allocator", "jemalloc-5.3.0");
  section("Persistence");
  line("loading", "0");
  line("rdb_changes_since_last_save", n.Str(100000));
  line("rdb_last_bgsave_status", "ok");
  line("aof_enabled", "0");
  section("Stats");
  for (const char* key :
       {"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
        "total_net_input_bytes", "total_net_output_bytes", "rejected_connections", "expired_keys",
        "evicted_keys", "keyspace_hits", "keyspace_misses", "pubsub_channels", "latest_fork_usec",
        "total_forks", "io_threaded_reads_processed"}) {
    line(key, n.Str(1000000000));
  }
  section("Replication");
  line("role", "master");
  line("connected_slaves", "2");
  for (int replica = 0; replica < 2; ++replica) {
    line("slave" + std::to_string(replica),
         "ip=10.0.0." + std::to_string(replica + 2) +
             ",port=6379,state=online,offset=" + n.Str(1000000000) + ",lag=" + n.Str(2));
  }
  line("master_replid", "b1a2c3d4e5f60718293a4b5c6d7e8f9012345678");
  line("master_repl_offset", n.Str(1000000000));
  section("CPU");
  for (const char* key :
       {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"}) {
    line(key, n.Str(100000) + "." + n.Str(1000000));
  }
  section("Modules");
  section("Errorstats");
  line("errorstat_ERR", "count=" + n.Str(1000));
  line("errorstat_WRONGTYPE", "count=" + n.Str(100));
  // About 240 commands in redis 7; the names only need to be distinct.
  std::vector<std::string> commands;
  for (const char* base :
       {"get",    "set", "del",  "hget", "hset", "lpush",  "rpop", "sadd",   "zadd", "zrange",
        "expire", "ttl", "incr", "mget", "scan", "client", "info", "config", "ping", "eval"}) {
    for (const char* suffix :
         {"", "ex", "nx", "all", "by", "range", "store", "len", "rem", "count", "ro", "pipe"}) {
      commands.push_back(std::string(base) + suffix);
    }
  }
  section("Commandstats");
  for (const std::string& command : commands) {
    line("cmdstat_" + command, "calls=" + n.Str(100000000) + ",usec=" + n.Str(1000000000) +
                                   ",usec_per_call=" + n.Str(10) + "." + n.Str(100) +
                                   ",rejected_calls=0,failed_calls=" + n.Str(10));
  }
  section("Latencystats");
  for (const std::string& command : commands) {
    line("latency_percentiles_usec_" + command,
         "p50=" + n.Str(10) + ".001,p99=" + n.Str(100) + ".001,p99.9=" + n.Str(1000) + ".001");
  }
  section("Cluster");
  line("cluster_enabled", "0");
  section("Keyspace");
  for (int db = 0; db < 16; ++db) {
    line("db" + std::to_string(db), "keys=" + n.Str(10000000) + ",expires=" + n.Str(100000) +
                                        ",avg_ttl=" + n.Str(100000000) + ",subexpiry=0");
  }
  return out;
}

}  // namespace metrics_adapter
