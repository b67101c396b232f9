#include "adapter/sources/http_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "adapter/base/strings.h"
#include "adapter/sources/curl_library.h"

namespace metrics_adapter {
namespace {

// Bound on the response headers: no status page needs more.
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
// How much of an error response's body goes into FetchResult::error.
constexpr std::size_t kErrorBodySnippet = 200;
// curl's receive buffer; status pages are mostly a few KiB to a few 100 KiB.
constexpr long kReceiveBufferBytes = 64L * 1024;

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// One part of a parsed URL, or "" when it is absent.
std::string UrlPart(const CurlLibrary& lib, CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (lib.url_get(url, part, &text, flags) != CURLUE_OK) return "";
  std::string out(text);
  lib.free(text);
  return out;
}

// Parses `url` with curl into `parsed` after the checks curl leaves to us;
// returns "" or the error. `schemes` lists the accepted ones.
std::string ParseUrl(const CurlLibrary& lib, std::string_view url,
                     const std::vector<std::string_view>& schemes, UrlHandle& parsed) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "expected SCHEME://HOST[:PORT]/PATH";
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return "invalid character in URL (spaces and non-ASCII must be %-encoded)";
    }
  }
  // curl would read "http:///x" as the host "x".
  if (url.substr(scheme_end + 3, 1) == "/") return "missing host";
  const std::string text(url);
  if (CURLUcode rc =
          lib.url_set(parsed.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK) {
    return lib.url_strerror(rc);
  }
  const std::string scheme = UrlPart(lib, parsed.get(), CURLUPART_SCHEME);
  if (std::none_of(schemes.begin(), schemes.end(),
                   [&](std::string_view s) { return EqualsIgnoreCase(s, scheme); })) {
    std::string expected;
    for (std::string_view s : schemes) {
      expected += (expected.empty() ? "" : " or ") + std::string(s) + "://";
    }
    return "unsupported scheme " + Quoted(scheme) + " (expected " + expected + ")";
  }
  if (UrlPart(lib, parsed.get(), CURLUPART_PORT) == "0") return "invalid port \"0\"";
  return "";
}

// ParseUrl for a source's URL: http:// or https://, no credentials.
std::string ParseHttpUrl(const CurlLibrary& lib, std::string_view url, UrlHandle& parsed) {
  if (std::string error = ParseUrl(lib, url, {"http", "https"}, parsed); !error.empty()) {
    return error;
  }
  if (!UrlPart(lib, parsed.get(), CURLUPART_USER).empty() ||
      !UrlPart(lib, parsed.get(), CURLUPART_PASSWORD).empty()) {
    return "credentials in the URL are not supported (use basic auth)";
  }
  return "";
}

bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// The label for a failed curl_easy_perform. A read or write error with an
// errno is the connection failing; without one curl found the data wrong.
std::string_view ReasonFor(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "resolve";
    case CURLE_COULDNT_CONNECT:
      return "connect";
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return os_errno != 0 ? "connect" : "protocol";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CLIENTCERT:
      return "tls";
    default:
      return "protocol";
  }
}

}  // namespace

// The curl handle of one source and the state of the fetch under way.
struct HttpClient::Impl {
  HttpFetchOptions options;
  const CurlLibrary* lib = nullptr;  // set by Setup(); null: setup_error says why
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* connect_to = nullptr;
  bool https = false;
  std::string host;         // as in the URL, e.g. "[::1]", for messages
  std::string peer;         // host:port, for messages
  std::string setup_error;  // not empty: every Get() fails with it
  char curl_error[CURL_ERROR_SIZE] = {};

  // The fetch under way; reset by Get().
  FetchResult* result = nullptr;
  bool failed_in_callback = false;  // result already says why
  bool body_over = false;
  bool headers_done = false;   // the final (non-1xx) response's headers
  bool socket_opened = false;  // the name resolved
  std::int64_t content_length = -1;
  std::size_t header_bytes = 0;
  std::size_t received = 0;

  explicit Impl(HttpFetchOptions o) : options(std::move(o)) { Setup(); }
  ~Impl() {
    if (lib == nullptr) return;  // nothing of curl's was made
    if (curl != nullptr) lib->easy_cleanup(curl);
    lib->slist_free_all(headers);
    lib->slist_free_all(connect_to);
  }

  void Setup();
  std::string SetUrl();
  void SetHeaders();
  void SetTls();
  void Finish(CURLcode code);
  void FailFromCurl(CURLcode code, bool success_status);
  void FailHttpStatus();
  std::string TimeoutPhase();

  // Called from the callbacks: records the failure, returns what aborts curl.
  std::size_t Abort(std::string_view why_label, std::string message) {
    result->Fail(why_label, std::move(message));
    failed_in_callback = true;
    return 0;
  }
  std::size_t OnHeader(std::string_view line);
  std::size_t OnBody(std::string_view data);

  // curl's callbacks; `impl` is this.
  static std::size_t HeaderCallback(char* data, std::size_t size, std::size_t n, void* impl) {
    return static_cast<Impl*>(impl)->OnHeader(std::string_view(data, size * n));
  }
  static std::size_t BodyCallback(char* data, std::size_t size, std::size_t n, void* impl) {
    return static_cast<Impl*>(impl)->OnBody(std::string_view(data, size * n));
  }
  static int SocketCallback(void* impl, curl_socket_t, curlsocktype) {
    static_cast<Impl*>(impl)->socket_opened = true;
    return CURL_SOCKOPT_OK;
  }
};

void HttpClient::Impl::Setup() {
  for (const auto& [name, value] : options.headers) {
    if (std::string error = CheckHttpHeader(name, value); !error.empty()) {
      setup_error = error;
      return;
    }
  }
  std::string error;
  lib = CurlLibrary::Get(&error);
  if (lib == nullptr) {
    setup_error = "cannot use libcurl: " + error;
    return;
  }
  curl = lib->easy_init();
  if (curl == nullptr) {
    setup_error = "cannot create a curl handle";
    return;
  }
  if (std::string error = SetUrl(); !error.empty()) {
    setup_error = "url " + Quoted(Printable(options.url, 200)) + ": " + error;
    return;
  }
  lib->easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
  lib->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads; the resolver is threaded anyway
  // 0 would mean no limit to curl; a timeout of 0 is spent at once instead.
  lib->easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(1, options.timeout.count())));
  lib->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  lib->easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  lib->easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  lib->easy_setopt(curl, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
  lib->easy_setopt(curl, CURLOPT_HTTP_VERSION,
                   static_cast<long>(https ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_0));
  // "" turns off the proxy environment variables too.
  lib->easy_setopt(curl, CURLOPT_PROXY, options.proxy_url.c_str());
  // A CONNECT tunnel's own response is not the page's.
  lib->easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SetHeaders();
  SetTls();
  lib->easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderCallback);
  lib->easy_setopt(curl, CURLOPT_HEADERDATA, this);
  lib->easy_setopt(curl, CURLOPT_WRITEFUNCTION, BodyCallback);
  lib->easy_setopt(curl, CURLOPT_WRITEDATA, this);
  lib->easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, SocketCallback);
  lib->easy_setopt(curl, CURLOPT_SOCKOPTDATA, this);
}

// Sets CURLOPT_URL and host, peer, https. With a tls.server_name the URL
// names that host, so that curl sends it as SNI and verifies it, and
// CURLOPT_CONNECT_TO sends the connection to the URL's real host.
std::string HttpClient::Impl::SetUrl() {
  UrlHandle url(lib->url(), lib->url_cleanup);
  if (std::string error = ParseHttpUrl(*lib, options.url, url); !error.empty()) return error;
  https = EqualsIgnoreCase(UrlPart(*lib, url.get(), CURLUPART_SCHEME), "https");
  host = UrlPart(*lib, url.get(), CURLUPART_HOST);
  const std::string port = UrlPart(*lib, url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  peer = host + ":" + port;
  if (!options.proxy_url.empty()) peer += " (through proxy_url)";
  lib->url_set(url.get(), CURLUPART_FRAGMENT, nullptr, 0);
  if (!options.tls.server_name.empty()) {
    const std::string explicit_port = UrlPart(*lib, url.get(), CURLUPART_PORT);
    if (lib->url_set(url.get(), CURLUPART_HOST, options.tls.server_name.c_str(), 0) != CURLUE_OK) {
      return "invalid tls_config server_name " + Quoted(options.tls.server_name);
    }
    const std::string route = options.tls.server_name + ":" + port + ":" + host + ":" + port;
    connect_to = lib->slist_append(connect_to, route.c_str());
    lib->easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
    // The Host header still names the URL's host.
    const bool host_overridden =
        std::any_of(options.headers.begin(), options.headers.end(),
                    [](const auto& h) { return EqualsIgnoreCase(h.first, "Host"); });
    if (!host_overridden) {
      options.headers.emplace_back("Host", explicit_port.empty() ? host : host + ":" + port);
    }
  }
  const std::string text = UrlPart(*lib, url.get(), CURLUPART_URL);
  lib->easy_setopt(curl, CURLOPT_URL, text.c_str());  // curl copies it
  return "";
}

// The standard headers unless `headers` name them, then `headers`. A header
// of the same name in the list replaces curl's own (Host, User-Agent,
// Authorization); "Accept:" with no value removes curl's default Accept.
void HttpClient::Impl::SetHeaders() {
  auto overridden = [&](std::string_view name) {
    return std::any_of(options.headers.begin(), options.headers.end(),
                       [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  };
  if (!overridden("User-Agent")) {
    headers = lib->slist_append(headers, "User-Agent: metrics-adapter");
  }
  if (!overridden("Accept-Encoding")) {
    headers = lib->slist_append(headers, "Accept-Encoding: identity");
  }
  if (!overridden("Accept")) headers = lib->slist_append(headers, "Accept:");
  for (const auto& [name, value] : options.headers) {
    // "Name;" is curl's way to send a header with an empty value.
    std::string line = name;
    if (value.empty()) {
      line += ';';
    } else {
      line.append(": ").append(value);
    }
    headers = lib->slist_append(headers, line.c_str());
  }
  lib->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!options.basic_auth_user.empty()) {
    lib->easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    lib->easy_setopt(curl, CURLOPT_USERNAME, options.basic_auth_user.c_str());
    lib->easy_setopt(curl, CURLOPT_PASSWORD, options.basic_auth_password.c_str());
  }
}

void HttpClient::Impl::SetTls() {
  const TlsOptions& tls = options.tls;
  if (!tls.ca_file.empty()) lib->easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) lib->easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) lib->easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
  if (tls.insecure_skip_verify) {
    lib->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    lib->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

std::size_t HttpClient::Impl::OnHeader(std::string_view line) {
  received += line.size();
  header_bytes += line.size();
  if (header_bytes > kMaxHeaderBytes) {
    return Abort("protocol", "response headers over " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  std::string_view text = line;
  if (text.ends_with('\n')) text.remove_suffix(1);
  text = Trim(text, kBlanksAndCr);
  if (text.empty()) {  // the end of one response's headers
    long status = 0;
    lib->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) {  // an interim 1xx response is followed by the real one
      headers_done = true;
      result->http_status = static_cast<int>(status);
      curl_off_t length = -1;
      lib->easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      content_length = length;
      if (content_length > static_cast<std::int64_t>(options.max_body_bytes)) {
        // Announced too large: refused before a byte of it is read, so
        // memory is not spent on a body that would be thrown away.
        body_over = true;
        return 0;
      }
      // Announced: room for exactly that (AppendBody grows no further).
      if (content_length > 0) result->body.reserve(static_cast<std::size_t>(content_length));
    }
    return line.size();
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return line.size();  // the status line
  const std::string_view name = Trim(text.substr(0, colon), kBlanks);
  const std::string_view value = Trim(text.substr(colon + 1), kBlanks);
  if (EqualsIgnoreCase(name, "Content-Encoding") && !value.empty() &&
      !EqualsIgnoreCase(value, "identity")) {
    return Abort("protocol", "unsupported Content-Encoding " + Quoted(Printable(value, 40)));
  }
  if (EqualsIgnoreCase(name, "Transfer-Encoding") && !EqualsIgnoreCase(value, "chunked") &&
      !EqualsIgnoreCase(value, "identity")) {
    return Abort("protocol", "unsupported Transfer-Encoding " + Quoted(Printable(value, 40)));
  }
  return line.size();
}

std::size_t HttpClient::Impl::OnBody(std::string_view data) {
  received += data.size();
  if (!result->AppendBody(data, options.max_body_bytes)) {
    body_over = true;
    return 0;
  }
  return data.size();
}

void HttpClient::Impl::FailHttpStatus() {
  FetchResult& r = *result;
  r.Fail("http_status", "HTTP " + std::to_string(r.http_status));
  if (std::string snippet = Printable(r.body, kErrorBodySnippet); !snippet.empty()) {
    r.error += ": " + snippet;
  }
}

// Where a fetch that ran out of time was, from what the callbacks saw. curl
// counts an https connection as connected only after the TLS handshake.
std::string HttpClient::Impl::TimeoutPhase() {
  curl_off_t request_ready = 0;
  lib->easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &request_ready);
  if (request_ready > 0) {
    return "read from " + peer + " (" + std::to_string(received) + " bytes received)";
  }
  if (socket_opened) return (https ? "connect and TLS handshake with " : "connect ") + peer;
  return "resolve " + host;
}

void HttpClient::Impl::Finish(CURLcode code) {
  FetchResult& r = *result;
  long status = 0;
  lib->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  r.http_status = static_cast<int>(status);
  const bool success_status = headers_done && status >= 200 && status < 300;
  if (body_over) {
    r.FailTooLarge(options.max_body_bytes);
    if (!success_status) FailHttpStatus();
  } else if (failed_in_callback) {
    // The callback has said why.
  } else if (code != CURLE_OK) {
    FailFromCurl(code, success_status);
  } else if (!headers_done) {  // curl takes a close there as the end
    r.Fail("protocol", peer + ": connection closed inside the response headers");
  } else if (success_status) {
    r.ok = true;
  } else {
    FailHttpStatus();
  }
}

void HttpClient::Impl::FailFromCurl(CURLcode code, bool success_status) {
  FetchResult& r = *result;
  long os_errno = 0, tunnel_status = 0;
  lib->easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  lib->easy_getinfo(curl, CURLINFO_HTTP_CONNECTCODE, &tunnel_status);
  const std::string_view reason = ReasonFor(code, os_errno);
  const std::string detail = curl_error[0] != '\0' ? curl_error : lib->easy_strerror(code);
  if (reason == "timeout") {
    // An error status is the news even if its body never completed.
    if (headers_done && !success_status) return FailHttpStatus();
    r.Fail(reason, "timeout after " + FormatTimeout(options.timeout) + ": " + TimeoutPhase());
  } else if (tunnel_status >= 300) {
    r.Fail("connect",
           peer + ": the proxy answered CONNECT with HTTP " + std::to_string(tunnel_status));
  } else if (reason == "resolve") {
    r.Fail(reason, "resolve " + host + ": " + detail);
  } else if (reason == "connect" && os_errno != 0) {
    r.Fail(reason, "connect " + peer + ": " + ErrnoText(static_cast<int>(os_errno)));
  } else {
    r.Fail(reason, peer + ": " + detail);
  }
}

HttpClient::HttpClient(HttpFetchOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

FetchResult HttpClient::Get() {
  FetchResult result;
  Impl& s = *impl_;
  if (!s.setup_error.empty()) {
    result.Fail("protocol", s.setup_error);
    return result;
  }
  s.result = &result;
  s.failed_in_callback = s.body_over = s.headers_done = s.socket_opened = false;
  s.content_length = -1;
  s.header_bytes = s.received = 0;
  s.curl_error[0] = '\0';
  // The body may be 0..max; reserving for typical status pages only.
  result.body.reserve(std::min<std::size_t>(s.options.max_body_bytes, std::size_t{16} * 1024));
  s.Finish(s.lib->easy_perform(s.curl));
  s.result = nullptr;
  return result;
}

std::string CheckHttpUrl(std::string_view url) {
  std::string error;
  const CurlLibrary* lib = CurlLibrary::Get(&error);
  if (lib == nullptr) return "cannot use libcurl: " + error;
  UrlHandle parsed(lib->url(), lib->url_cleanup);
  return ParseHttpUrl(*lib, url, parsed);
}

std::string CheckProxyUrl(std::string_view url) {
  std::string error;
  const CurlLibrary* lib = CurlLibrary::Get(&error);
  if (lib == nullptr) return "cannot use libcurl: " + error;
  UrlHandle parsed(lib->url(), lib->url_cleanup);
  return ParseUrl(*lib, url, {"http", "https", "socks5", "socks5h"}, parsed);
}

std::string CheckHttpHeader(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return "invalid header name \"" + Printable(name, 60) + "\"";
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "header " + std::string(name) + ": value must not contain CR, LF or NUL";
  }
  return "";
}

}  // namespace metrics_adapter
