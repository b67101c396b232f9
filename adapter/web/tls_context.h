// TlsContext is the listener's OpenSSL server context, built by the adapter
// and handed to civetweb (its external_ssl_ctx callback), so that every TLS
// setting of the web config is applied by OpenSSL itself and can change while
// the server runs.
//
// The SSL_CTX lives as long as the server; what the config sets (certificate
// and key, client CA and client_auth_type, versions, ciphers, curves) is kept
// in an immutable TlsMaterial that a ClientHello callback applies to each new
// connection. Update() swaps the material: the next handshake uses the new
// certificate, while connections already up keep theirs. Session resumption
// is off, so a connection cannot outlive a CA change by resuming.
//
// Usage:
//   Diagnostics diags;
//   auto material = TlsMaterial::Load(config.tls.value(), diags);  // reads the PEM files
//   if (!material) { ... diags name the field ... }
//   auto tls = TlsContext::Create(material, &error);
//   civetweb: external_ssl_ctx -> *ssl_ctx = tls->ssl_ctx(); return 1;
//   later: tls->Update(TlsMaterial::Load(new_config, diags));
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "adapter/base/diagnostics.h"
#include "adapter/web/web_config.h"

struct ssl_st;  // OpenSSL's SSL

namespace metrics_adapter {

// The OpenSSL objects one TlsServerConfig stands for; defined in the .cc.
class TlsMaterial {
 public:
  // Reads and checks the certificate, key and CA (the key matches the
  // certificate, the CA file holds certificates). Returns null after reporting
  // every problem at the field that named the file.
  static std::shared_ptr<const TlsMaterial> Load(const TlsServerConfig& config, Diagnostics& diags);
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  struct Objects;  // OpenSSL handles, owned
  const Objects& objects() const { return *objects_; }

 private:
  TlsMaterial();
  std::unique_ptr<Objects> objects_;
};

class TlsContext {
 public:
  // Null with *error set when OpenSSL cannot make a server context.
  static std::unique_ptr<TlsContext> Create(std::shared_ptr<const TlsMaterial> material,
                                            std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // The SSL_CTX (as void*, civetweb's type for it); owned by this object.
  void* ssl_ctx() const { return ctx_; }

  // New connections use `material` from now on. Thread-safe.
  void Update(std::shared_ptr<const TlsMaterial> material);

 private:
  TlsContext() = default;
  std::shared_ptr<const TlsMaterial> Current() const;
  static int OnClientHello(::ssl_st* ssl, int* alert, void* arg);

  void* ctx_ = nullptr;  // SSL_CTX*
  mutable std::mutex mu_;
  std::shared_ptr<const TlsMaterial> material_;
};

}  // namespace metrics_adapter
