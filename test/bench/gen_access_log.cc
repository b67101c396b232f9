// gen_access_log: writes a reproducible nginx access log to stdout, for the benchmarks.
//
//   gen_access_log --lines N [--seed S] [--no-request-time]
//
// Each line is in nginx's "combined" format followed by $request_time:
//
//   log_format bench '$remote_addr - $remote_user [$time_local] "$request" $status '
//                    '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
//
// With --no-request-time the trailing " $request_time" is left out (plain "combined").
//
// The output depends only on N and S: the generator uses its own PRNG (splitmix64) and
// integer arithmetic only (no <random> distributions, no floating point, no locale, no
// time zone), so the same arguments give byte-identical output on every machine.
// Every line is a line nginx could write: $body_bytes_sent is never "-" (nginx writes 0),
// and the few requests that are not HTTP (a TLS handshake sent to the plain port, a client
// that closed before sending anything) appear as nginx logs them, with status 400. Methods
// include some that are not among OpenTelemetry's known ones (PROPFIND, QUERY, ...), and a
// rare user agent holds quotes, which nginx escapes as \x22.

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is negligible here).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  // Uniform in [lo, hi].
  uint32_t Between(uint32_t lo, uint32_t hi) { return lo + Below(hi - lo + 1); }

 private:
  uint64_t state_;
};

// A value with an integer weight; Pick() chooses one with probability weight / total.
template <typename T>
struct Weighted {
  T value;
  uint32_t weight;
};

template <typename T, size_t N>
const T& Pick(SplitMix64& rng, const Weighted<T> (&table)[N]) {
  uint32_t total = 0;
  for (const auto& w : table) total += w.weight;
  uint32_t r = rng.Below(total);
  for (const auto& w : table) {
    if (r < w.weight) return w.value;
    r -= w.weight;
  }
  return table[N - 1].value;
}

template <typename T, size_t N>
const T& PickUniform(SplitMix64& rng, const T (&table)[N]) {
  return table[rng.Below(N)];
}

constexpr Weighted<std::string_view> kMethods[] = {
    {"GET", 8000},    {"POST", 1000}, {"PUT", 300}, {"DELETE", 150},  {"HEAD", 300}, {"PATCH", 100},
    {"OPTIONS", 120}, {"CONNECT", 5}, {"TRACE", 3}, {"PROPFIND", 10}, {"MKCOL", 2},  {"QUERY", 5},
};

constexpr Weighted<std::string_view> kProtocols[] = {
    {"HTTP/1.1", 85},
    {"HTTP/2.0", 12},
    {"HTTP/1.0", 3},
};

constexpr Weighted<int> kStatusSuccess[] = {{200, 9300}, {201, 150}, {204, 250}, {206, 50}};
constexpr Weighted<int> kStatusRedirect[] = {{301, 300}, {302, 300}, {304, 400}};
constexpr Weighted<int> kStatusClientError[] = {
    {400, 150}, {401, 150}, {403, 100}, {404, 500}, {405, 20},
    {408, 10},  {413, 5},   {429, 40},  {499, 60},
};
constexpr Weighted<int> kStatusServerError[] = {{500, 50}, {502, 25}, {503, 20}, {504, 15}};

constexpr std::string_view kUsers[] = {"alice",   "bob",        "carol",  "dave", "eve",
                                       "mallory", "svc-backup", "deploy", "admin"};

constexpr std::string_view kUserAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "Wget/1.21.3",
    "Go-http-client/1.1",
    "python-requests/2.32.3",
    "kube-probe/1.31",
    "Prometheus/2.55.1",
    "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.13)",
    "Mozilla/5.0 (compatible; \\x22scanner\\x22/1.0)",
    "-",
};

constexpr Weighted<int> kUserAgentWeights[] = {
    {0, 300}, {1, 120}, {2, 90},  {3, 80},  {4, 90},  {5, 70},  {6, 25},  {7, 15}, {8, 40},
    {9, 5},   {10, 50}, {11, 40}, {12, 30}, {13, 10}, {14, 20}, {15, 10}, {16, 2}, {17, 5},
};

constexpr std::string_view kReferers[] = {
    "https://www.example.com/",
    "https://www.example.com/search?q=widgets",
    "https://shop.example.com/cart",
    "https://www.google.com/",
    "https://www.bing.com/search?q=example+widgets",
    "https://news.ycombinator.com/",
    "android-app://com.google.android.gm/",
};

constexpr std::string_view kWords[] = {"widgets",   "gears", "blue",        "sale",  "kubernetes",
                                       "metrics",   "nginx", "latency",     "books", "shoes",
                                       "caf%C3%A9", "a+b",   "%22quoted%22"};

constexpr std::string_view kStaticKinds[] = {"css/app",    "css/vendor", "js/app",     "js/vendor",
                                             "js/runtime", "img/logo",   "fonts/inter"};
constexpr std::string_view kStaticExt[] = {".css", ".css", ".js", ".js", ".js", ".svg", ".woff2"};

constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Civil date from days since 1970-01-01 (H. Hinnant's algorithm), proleptic Gregorian.
void CivilFromDays(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

class Out {
 public:
  Out() { buf_.resize(1 << 20); }
  ~Out() { Flush(); }

  void Put(std::string_view s) {
    Reserve(s.size());
    std::memcpy(buf_.data() + len_, s.data(), s.size());
    len_ += s.size();
  }
  void Put(char c) {
    Reserve(1);
    buf_[len_++] = c;
  }
  void PutUint(uint64_t v) {
    Reserve(20);
    len_ = static_cast<size_t>(std::to_chars(buf_.data() + len_, buf_.data() + buf_.size(), v).ptr -
                               buf_.data());
  }
  // v with at least `width` digits, zero padded.
  void PutPadded(uint64_t v, int width) {
    char tmp[24];
    char* end = std::to_chars(tmp, tmp + sizeof(tmp), v).ptr;
    for (int n = static_cast<int>(end - tmp); n < width; ++n) Put('0');
    Put(std::string_view(tmp, static_cast<size_t>(end - tmp)));
  }
  void PutHex(uint64_t v, int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    Reserve(static_cast<size_t>(digits));
    for (int i = digits - 1; i >= 0; --i) buf_[len_++] = kHex[(v >> (4 * i)) & 0xf];
  }

  bool Flush() {
    if (len_ > 0 && std::fwrite(buf_.data(), 1, len_, stdout) != len_) return false;
    len_ = 0;
    return std::fflush(stdout) == 0;
  }

 private:
  void Reserve(size_t n) {
    if (len_ + n > buf_.size()) {
      if (len_ > 0 && std::fwrite(buf_.data(), 1, len_, stdout) != len_) {
        std::perror("gen_access_log: write");
        std::exit(1);
      }
      len_ = 0;
    }
  }

  std::vector<char> buf_;
  size_t len_ = 0;
};

// What a request asks for; it shapes the response size and time.
enum class Kind { kDynamic, kStatic, kProbe };

class Generator {
 public:
  Generator(uint64_t seed, bool request_time) : rng_(seed), request_time_(request_time) {
    // A fixed pool of clients, so that addresses repeat as in a real log.
    clients_.reserve(2048);
    for (int i = 0; i < 2048; ++i) {
      // One PRNG call per statement: the evaluation order of `a + b` is unspecified.
      const uint32_t kind = rng_.Below(10);
      uint32_t part[4];
      for (uint32_t& p : part) p = rng_.Below(10000);
      std::string ip;
      if (kind < 6) {
        ip = "10." + std::to_string(part[0] % 256) + "." + std::to_string(part[1] % 256) + "." +
             std::to_string(1 + part[2] % 254);
      } else if (kind < 9) {
        ip = std::to_string(11 + part[0] % 213) + "." + std::to_string(part[1] % 256) + "." +
             std::to_string(part[2] % 256) + "." + std::to_string(1 + part[3] % 254);
      } else {
        ip = "2001:db8:" + std::to_string(part[0]) + "::" + std::to_string(1 + part[1] % 9999);
      }
      clients_.push_back(std::move(ip));
    }
  }

  void Line(Out& out) {
    // $remote_addr - $remote_user
    out.Put(clients_[SkewedIndex(static_cast<uint32_t>(clients_.size()))]);
    out.Put(" - ");
    out.Put(rng_.Below(100) < 4 ? PickUniform(rng_, kUsers) : std::string_view("-"));

    // [$time_local]: starts at 25/Nov/2026:10:00:00 +0000, about 1000 requests a second.
    now_ms_ += rng_.Below(3);
    const int64_t secs = now_ms_ / 1000;
    if (secs != cached_secs_) FormatTime(secs);
    out.Put(" [");
    out.Put(std::string_view(time_buf_, time_len_));
    out.Put("] \"");

    Kind kind = Kind::kDynamic;
    int status = 400;
    if (rng_.Below(10000) < 3) {
      // Not an HTTP request: "$request" is what nginx read, escaped, or "-" if nothing.
      if (rng_.Below(2)) {
        out.Put("\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157");
      } else {
        out.Put("-\" 400 0");
      }
    } else {
      // "$request"
      const std::string_view method = Pick(rng_, kMethods);
      out.Put(method);
      out.Put(' ');
      kind = Path(out, method);
      out.Put(' ');
      out.Put(Pick(rng_, kProtocols));
      out.Put("\" ");

      // $status $body_bytes_sent
      status = Status(method);
      out.PutUint(static_cast<uint64_t>(status));
      out.Put(' ');
      out.PutUint(BodyBytes(method, status, kind));
    }

    // "$http_referer" "$http_user_agent"
    out.Put(" \"");
    out.Put(rng_.Below(100) < 55 ? std::string_view("-") : PickUniform(rng_, kReferers));
    out.Put("\" \"");
    out.Put(kUserAgents[Pick(rng_, kUserAgentWeights)]);
    out.Put('"');

    // $request_time: seconds with millisecond resolution.
    if (request_time_) {
      const uint64_t ms = RequestTimeMs(status, kind);
      out.Put(' ');
      out.PutUint(ms / 1000);
      out.Put('.');
      out.PutPadded(ms % 1000, 3);
    }
    out.Put('\n');
  }

 private:
  // Index in [0, n) skewed towards small values (a few busy clients, a long tail).
  uint32_t SkewedIndex(uint32_t n) {
    const uint32_t a = rng_.Below(n);
    const uint32_t b = rng_.Below(n);
    return rng_.Below(4) == 0 ? a : (a < b ? a : b) / 4;
  }

  void FormatTime(int64_t secs) {
    cached_secs_ = secs;
    const int64_t days = secs / 86400;
    const int64_t rem = secs % 86400;
    int y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    std::snprintf(time_buf_, sizeof(time_buf_), "%02u/%s/%04d:%02d:%02d:%02d +0000", d,
                  kMonths[m - 1].data(), y, static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    time_len_ = std::strlen(time_buf_);
  }

  // Writes the request URI and returns what kind of resource it names.
  Kind Path(Out& out, std::string_view method) {
    if (method == "CONNECT") {
      out.Put("www.example.com:443");
      return Kind::kDynamic;
    }
    const uint32_t r = rng_.Below(1000);
    const bool read = method == "GET" || method == "HEAD";
    if (read && r < 250) {
      const uint32_t k = rng_.Below(static_cast<uint32_t>(std::size(kStaticKinds)));
      out.Put("/static/");
      out.Put(kStaticKinds[k]);
      out.Put('.');
      out.PutHex(rng_.Below(64) * 0x9e3779b1u, 8);
      out.Put(kStaticExt[k]);
      return Kind::kStatic;
    }
    if (read && r < 300) {
      out.Put("/images/products/");
      out.PutUint(rng_.Below(5000));
      out.Put(rng_.Below(2) ? std::string_view(".jpg") : std::string_view(".webp"));
      return Kind::kStatic;
    }
    if (read && r < 330) {
      out.Put(rng_.Below(2) ? std::string_view("/") : std::string_view("/favicon.ico"));
      return Kind::kDynamic;
    }
    if (read && r < 380) {
      out.Put(rng_.Below(2) ? std::string_view("/healthz") : std::string_view("/readyz"));
      return Kind::kProbe;
    }
    if (read && r < 430) {
      out.Put("/search?q=");
      out.Put(PickUniform(rng_, kWords));
      if (rng_.Below(3) == 0) {
        out.Put("&page=");
        out.PutUint(rng_.Between(2, 40));
      }
      return Kind::kDynamic;
    }
    if (r < 450) {
      out.Put("/login");
      if (rng_.Below(4) == 0) out.Put("?next=%2Faccount%2Fsettings");
      return Kind::kDynamic;
    }
    if (r < 460) {
      // An occasional long URI, as clients with tracking parameters produce.
      out.Put("/landing/campaign?utm_source=newsletter&utm_medium=email&utm_campaign=");
      out.PutHex(rng_.Next(), 16);
      out.Put("&fbclid=");
      out.PutHex(rng_.Next(), 16);
      out.PutHex(rng_.Next(), 16);
      return Kind::kDynamic;
    }
    // API calls.
    out.Put(rng_.Below(10) < 8 ? std::string_view("/api/v1/") : std::string_view("/api/v2/"));
    switch (rng_.Below(6)) {
      case 0:
        out.Put("items");
        break;
      case 1:
        out.Put("items/");
        out.PutUint(rng_.Below(100000));
        break;
      case 2:
        out.Put("items/");
        out.PutUint(rng_.Below(100000));
        out.Put("?x=");
        out.PutUint(rng_.Below(10));
        break;
      case 3:
        out.Put("users/");
        out.PutUint(rng_.Below(20000));
        out.Put("/orders");
        if (rng_.Below(2)) {
          out.Put("?limit=");
          out.PutUint(10 * rng_.Between(1, 10));
          out.Put("&offset=");
          out.PutUint(10 * rng_.Below(50));
        }
        break;
      case 4:
        out.Put("orders/");
        out.PutHex(rng_.Next(), 12);
        break;
      default:
        out.Put("sessions/");
        out.PutHex(rng_.Next(), 16);
        out.Put("/events");
        break;
    }
    return Kind::kDynamic;
  }

  int Status(std::string_view method) {
    const uint32_t r = rng_.Below(10000);
    if (r < 8650) {
      const int s = Pick(rng_, kStatusSuccess);
      if (method == "POST" && rng_.Below(3) == 0) return 201;
      if (method == "DELETE" && rng_.Below(2) == 0) return 204;
      return s;
    }
    if (r < 9400) return Pick(rng_, kStatusRedirect);
    if (r < 9850) return Pick(rng_, kStatusClientError);
    return Pick(rng_, kStatusServerError);
  }

  uint64_t BodyBytes(std::string_view method, int status, Kind kind) {
    if (method == "HEAD" || status == 204 || status == 304 || status == 499) return 0;
    if (status >= 300 && status < 400) return rng_.Between(150, 170);
    if (status >= 400) return rng_.Between(150, 600);
    if (kind == Kind::kProbe) return 2;  // "ok"
    if (kind == Kind::kStatic) {
      // Mostly tens of KiB, sometimes a large bundle or image.
      return rng_.Below(10) == 0 ? rng_.Between(200000, 2500000) : rng_.Between(800, 90000);
    }
    const uint32_t r = rng_.Below(100);
    if (r < 20) return rng_.Between(2, 200);
    if (r < 90) return rng_.Between(200, 8000);
    return rng_.Between(8000, 400000);
  }

  // Mostly a few milliseconds, with a tail of slow requests (some over 10 s).
  uint64_t RequestTimeMs(int status, Kind kind) {
    if (kind == Kind::kProbe) return rng_.Below(2);
    if (kind == Kind::kStatic && rng_.Below(5) != 0) return rng_.Below(3);
    const uint32_t r = rng_.Below(10000);
    uint64_t ms;
    if (r < 3500) {
      ms = rng_.Between(0, 5);
    } else if (r < 6500) {
      ms = rng_.Between(5, 25);
    } else if (r < 8500) {
      ms = rng_.Between(25, 100);
    } else if (r < 9500) {
      ms = rng_.Between(100, 500);
    } else if (r < 9900) {
      ms = rng_.Between(500, 2500);
    } else if (r < 9985) {
      ms = rng_.Between(2500, 10000);
    } else {
      ms = rng_.Between(10000, 60000);
    }
    if (status == 504) ms = rng_.Between(30000, 60000);
    return ms;
  }

  SplitMix64 rng_;
  bool request_time_;
  std::vector<std::string> clients_;
  int64_t now_ms_ = 1795600800LL * 1000;  // 2026-11-25T10:00:00Z
  int64_t cached_secs_ = -1;
  char time_buf_[40] = {};
  size_t time_len_ = 0;
};

[[noreturn]] void Usage(const char* argv0, int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: %s --lines N [--seed S] [--no-request-time]\n"
               "Writes N lines of a reproducible nginx access log (combined format followed by\n"
               "$request_time) to stdout. The same N and S always give the same bytes.\n"
               "  --lines N            number of lines to write (required)\n"
               "  --seed S             PRNG seed (default 1)\n"
               "  --no-request-time    plain combined format, without $request_time\n",
               argv0);
  std::exit(code);
}

bool ParseUint(std::string_view s, uint64_t& v) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t lines = 0;
  uint64_t seed = 1;
  bool have_lines = false;
  bool request_time = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next_value = [&]() -> std::string_view {
      if (has_value) return value;
      if (i + 1 >= argc) Usage(argv[0], 2);
      return argv[++i];
    };
    if (arg == "--lines") {
      if (!ParseUint(next_value(), lines)) Usage(argv[0], 2);
      have_lines = true;
    } else if (arg == "--seed") {
      if (!ParseUint(next_value(), seed)) Usage(argv[0], 2);
    } else if (arg == "--no-request-time" && !has_value) {
      request_time = false;
    } else if (arg == "--help" || arg == "-h") {
      Usage(argv[0], 0);
    } else {
      std::fprintf(stderr, "gen_access_log: unknown argument: %s\n", argv[i]);
      Usage(argv[0], 2);
    }
  }
  if (!have_lines) Usage(argv[0], 2);

  Out out;
  Generator gen(seed, request_time);
  for (uint64_t n = 0; n < lines; ++n) gen.Line(out);
  if (!out.Flush()) {
    std::perror("gen_access_log: write");
    return 1;
  }
  return 0;
}
