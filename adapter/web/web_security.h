// WebSecurity is what --web.config.file puts in front of every endpoint of
// the HTTP server: TLS (with client certificates), basic auth, extra response
// headers. It holds the running web config and swaps in a new one on reload.
//
// What a reload changes: users and headers from the next request on; the
// certificate, key, client CA, client_auth_type, versions, ciphers and curves
// from the next TLS handshake on (connections already up keep theirs).
// Turning TLS on or off takes a restart: such a reload is refused.
//
// Usage:
//   Diagnostics diags;
//   std::unique_ptr<WebSecurity> web = WebSecurity::Load("web.yaml", diags);
//   if (!web) { std::cerr << diags.Format(); return 1; }
//   HttpServer::Start(address, handlers, &error, web.get());
//   ...
//   if (auto apply = web->PrepareReload(diags)) apply();
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/web/basic_auth.h"
#include "adapter/web/tls_context.h"
#include "adapter/web/web_config.h"

namespace metrics_adapter {

class WebSecurity {
 public:
  // Reads `path` and every file it names. Null after reporting every error
  // (file:line:col and the field) to `diags`.
  static std::unique_ptr<WebSecurity> Load(const std::string& path, Diagnostics& diags);

  // Whether the listener speaks TLS; fixed for this object's lifetime.
  bool tls() const { return tls_ != nullptr; }
  // The SSL_CTX for civetweb (see TlsContext); null without TLS.
  void* ssl_ctx() const { return tls_ ? tls_->ssl_ctx() : nullptr; }

  struct Admission {
    bool allowed = true;  // false: answer 401 with WWW-Authenticate
    // Added to the response, whether allowed or not.
    std::vector<std::pair<std::string, std::string>> headers;
  };
  // The decision for one request, given its Authorization header (null when
  // absent). Thread-safe; may take a bcrypt's time.
  Admission Admit(const char* authorization) const;

  // Reads the web config again with everything it names. Returns what
  // applies it (cannot fail), or an empty function after reporting to
  // `diags` why it is refused; the running config stays either way until the
  // returned function runs.
  std::function<void()> PrepareReload(Diagnostics& diags);

  // The files a change of which should trigger a reload: the web config and
  // the certificate files of the running config and of the last attempt.
  std::vector<std::string> Files() const;

 private:
  // Users and headers, replaced whole.
  struct Policy {
    std::unique_ptr<BasicAuth> auth;  // null: no basic auth
    std::vector<std::pair<std::string, std::string>> headers;
  };
  struct Prepared {
    std::shared_ptr<const Policy> policy;
    std::shared_ptr<const TlsMaterial> tls;  // null without TLS
    std::vector<std::string> files;
  };
  static std::optional<Prepared> Prepare(const std::string& path, Diagnostics& diags,
                                         std::vector<std::string>* files);

  std::string path_;
  std::unique_ptr<TlsContext> tls_;
  mutable std::mutex mu_;
  std::shared_ptr<const Policy> policy_;
  std::vector<std::string> running_files_;
  std::vector<std::string> attempted_files_;
};

}  // namespace metrics_adapter
