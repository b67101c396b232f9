#include "adapter/web/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "adapter/base/strings.h"

namespace metrics_adapter {

struct TlsMaterial::Objects {
  X509* cert = nullptr;
  STACK_OF(X509) * chain = nullptr;  // intermediates after the leaf, maybe empty
  EVP_PKEY* key = nullptr;
  X509_STORE* client_ca = nullptr;                  // null: no client CA
  STACK_OF(X509_NAME) * client_ca_names = nullptr;  // sent in CertificateRequest
  int verify_mode = SSL_VERIFY_NONE;
  SSL_verify_cb verify_callback = nullptr;
  std::vector<std::string> allowed_sans;
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string cipher_list;
  std::string groups;
  bool prefer_server_cipher_suites = true;

  ~Objects() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    X509_STORE_free(client_ca);
    sk_X509_NAME_pop_free(client_ca_names, X509_NAME_free);
  }
};

namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no details from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// The PEM text of a file field or of its inline twin, as a memory BIO; null
// after reporting an unreadable file at the field.
BioPtr PemBio(const TlsServerConfig& config, std::string_view file_key, const std::string& file,
              const std::string& pem, std::string* storage, Diagnostics& diags) {
  auto at = [&](std::string_view key) {
    auto it = config.positions.find(key);
    return it != config.positions.end() ? it->second : config.positions.at("tls_server_config");
  };
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      diags.Error(at(file_key),
                  Quoted(file_key) + ": cannot read " + Quoted(file) + ": " + ErrnoText(errno));
      return {nullptr, &BIO_free};
    }
    std::ostringstream text;
    text << in.rdbuf();
    *storage = text.str();
  } else {
    *storage = pem;
  }
  return {BIO_new_mem_buf(storage->data(), static_cast<int>(storage->size())), &BIO_free};
}

// Never asks for a passphrase: OpenSSL's default would prompt on a terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

// Every certificate in `bio`, in order.
std::vector<X509*> ReadCertificates(BIO* bio) {
  std::vector<X509*> certs;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, &NoPassphrase, nullptr)) {
    certs.push_back(cert);
  }
  ERR_clear_error();  // the end of the input reads as an error
  return certs;
}

// RequestClientCert and RequireAnyClientCert ask for a certificate but do not
// verify it (Go's semantics).
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

int MaterialIndex() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
         void* /*argp*/) { delete static_cast<std::shared_ptr<const TlsMaterial>*>(ptr); });
  return index;
}

// The subject alternative names of `cert` as the toolkit compares them: DNS
// names, e-mail addresses, IP addresses (text form) and URIs.
std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    const ASN1_STRING* value = nullptr;
    if (name->type == GEN_DNS) value = name->d.dNSName;
    if (name->type == GEN_EMAIL) value = name->d.rfc822Name;
    if (name->type == GEN_URI) value = name->d.uniformResourceIdentifier;
    if (value != nullptr) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<std::size_t>(ASN1_STRING_length(value)));
    } else if (name->type == GEN_IPADD) {
      const int length = ASN1_STRING_length(name->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = "";
      if ((length == 4 || length == 16) &&
          inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(name->d.iPAddress),
                    text, sizeof(text)) != nullptr) {
        out.emplace_back(text);
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Verification as OpenSSL does it, plus client_allowed_sans on the leaf.
int VerifyWithAllowedSans(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return preverify_ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* material =
      ssl ? static_cast<std::shared_ptr<const TlsMaterial>*>(SSL_get_ex_data(ssl, MaterialIndex()))
          : nullptr;
  if (material == nullptr) return 0;
  const std::vector<std::string>& allowed = (*material)->objects().allowed_sans;
  for (const std::string& san : SubjectAltNames(X509_STORE_CTX_get_current_cert(store))) {
    if (std::find(allowed.begin(), allowed.end(), san) != allowed.end()) return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// Where the field holding a PEM was given: the file field, else its inline
// twin, else the section.
SourcePosition FieldPosition(const TlsServerConfig& config, std::string_view file_key,
                             std::string_view inline_key) {
  auto it = config.positions.find(file_key);
  if (it == config.positions.end()) it = config.positions.find(inline_key);
  return it != config.positions.end() ? it->second : config.positions.at("tls_server_config");
}

std::string_view FieldName(const std::string& file, std::string_view file_key,
                           std::string_view inline_key) {
  return file.empty() ? inline_key : file_key;
}

void LoadCertificate(const TlsServerConfig& config, TlsMaterial::Objects& o, Diagnostics& diags) {
  std::string text;
  BioPtr bio = PemBio(config, "cert_file", config.cert_file, config.cert, &text, diags);
  if (!bio) return;
  std::vector<X509*> certs = ReadCertificates(bio.get());
  if (certs.empty()) {
    diags.Error(
        FieldPosition(config, "cert_file", "cert"),
        Quoted(FieldName(config.cert_file, "cert_file", "cert")) + ": no PEM certificate in it");
    return;
  }
  o.cert = certs.front();
  o.chain = sk_X509_new_null();
  for (std::size_t i = 1; i < certs.size(); ++i) sk_X509_push(o.chain, certs[i]);
}

// After LoadCertificate: the key must belong to its certificate.
void LoadKey(const TlsServerConfig& config, TlsMaterial::Objects& o, Diagnostics& diags) {
  std::string text;
  BioPtr bio = PemBio(config, "key_file", config.key_file, config.key, &text, diags);
  if (!bio) return;
  const std::string name = Quoted(FieldName(config.key_file, "key_file", "key"));
  o.key = PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr);
  OPENSSL_cleanse(text.data(), text.size());  // no copy of the key outlives its use
  if (o.key == nullptr) {
    diags.Error(FieldPosition(config, "key_file", "key"),
                name + ": no unencrypted PEM private key in it (" + OpenSslError() + ")");
  } else if (o.cert != nullptr && X509_check_private_key(o.cert, o.key) != 1) {
    ERR_clear_error();
    diags.Error(FieldPosition(config, "key_file", "key"),
                name + ": the key does not belong to the certificate of " +
                    Quoted(FieldName(config.cert_file, "cert_file", "cert")));
  }
}

void LoadClientCa(const TlsServerConfig& config, TlsMaterial::Objects& o, Diagnostics& diags) {
  if (config.client_ca_file.empty() && config.client_ca.empty()) return;
  std::string text;
  BioPtr bio =
      PemBio(config, "client_ca_file", config.client_ca_file, config.client_ca, &text, diags);
  if (!bio) return;
  std::vector<X509*> certs = ReadCertificates(bio.get());
  if (certs.empty()) {
    diags.Error(FieldPosition(config, "client_ca_file", "client_ca"),
                Quoted(FieldName(config.client_ca_file, "client_ca_file", "client_ca")) +
                    ": no PEM certificate in it");
  }
  o.client_ca = X509_STORE_new();
  o.client_ca_names = sk_X509_NAME_new_null();
  for (X509* cert : certs) {
    X509_STORE_add_cert(o.client_ca, cert);
    sk_X509_NAME_push(o.client_ca_names, X509_NAME_dup(X509_get_subject_name(cert)));
    X509_free(cert);  // the store holds its own reference
  }
}

// client_auth_type in OpenSSL's terms (Go's semantics).
void SetClientAuth(const TlsServerConfig& config, TlsMaterial::Objects& o) {
  const std::string& auth = config.client_auth_type;
  if (auth == "RequestClientCert" || auth == "VerifyClientCertIfGiven") {
    o.verify_mode = SSL_VERIFY_PEER;
  } else if (auth == "RequireAnyClientCert" || auth == "RequireAndVerifyClientCert") {
    o.verify_mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (auth == "RequestClientCert" || auth == "RequireAnyClientCert") {
    o.verify_callback = &AcceptAnyCertificate;
  } else if (!config.client_allowed_sans.empty()) {
    o.verify_callback = &VerifyWithAllowedSans;
  }
  o.allowed_sans = config.client_allowed_sans;
}

}  // namespace

TlsMaterial::TlsMaterial() : objects_(std::make_unique<Objects>()) {}
TlsMaterial::~TlsMaterial() = default;

std::shared_ptr<const TlsMaterial> TlsMaterial::Load(const TlsServerConfig& config,
                                                     Diagnostics& diags) {
  const int errors_before = diags.error_count();
  std::shared_ptr<TlsMaterial> material(new TlsMaterial());
  Objects& o = *material->objects_;
  LoadCertificate(config, o, diags);
  LoadKey(config, o, diags);
  LoadClientCa(config, o, diags);
  SetClientAuth(config, o);
  o.min_version = config.min_version;
  o.max_version = config.max_version;
  o.cipher_list = config.cipher_list;
  o.groups = config.groups;
  o.prefer_server_cipher_suites = config.prefer_server_cipher_suites;
  if (diags.error_count() > errors_before) return nullptr;
  return material;
}

std::unique_ptr<TlsContext> TlsContext::Create(std::shared_ptr<const TlsMaterial> material,
                                               std::string* error) {
  std::unique_ptr<TlsContext> context(new TlsContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) {
    *error = "cannot create the TLS context: " + OpenSslError();
    return nullptr;
  }
  context->ctx_ = ctx;
  context->material_ = std::move(material);
  // No resumption (no session cache, no tickets): every connection does a
  // full handshake against the current material, and a reload that changes
  // the client CA cannot be bypassed by resuming an older session. A scrape
  // is one connection every few seconds; the cost does not matter.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  static const unsigned char kSessionContext[] = "metrics-adapter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_client_hello_cb(ctx, &TlsContext::OnClientHello, context.get());
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

void TlsContext::Update(std::shared_ptr<const TlsMaterial> material) {
  std::lock_guard lock(mu_);
  material_ = std::move(material);
}

std::shared_ptr<const TlsMaterial> TlsContext::Current() const {
  std::lock_guard lock(mu_);
  return material_;
}

// Runs first in every handshake, before the version, the cipher and the
// certificate are chosen and before a certificate is requested: the one
// place where all of them can still be set per connection.
int TlsContext::OnClientHello(SSL* ssl, int* alert, void* arg) {
  const std::shared_ptr<const TlsMaterial> material = static_cast<TlsContext*>(arg)->Current();
  const TlsMaterial::Objects& o = material->objects();
  bool ok = SSL_set_min_proto_version(ssl, o.min_version) == 1 &&
            SSL_set_max_proto_version(ssl, o.max_version) == 1;
  if (ok && !o.cipher_list.empty()) ok = SSL_set_cipher_list(ssl, o.cipher_list.c_str()) == 1;
  if (ok && !o.groups.empty()) ok = SSL_set1_groups_list(ssl, o.groups.c_str()) == 1;
  if (o.prefer_server_cipher_suites) {
    SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_clear_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  ok = ok && SSL_use_cert_and_key(ssl, o.cert, o.key, o.chain, 1) == 1;
  SSL_set_verify(ssl, o.verify_mode, o.verify_callback);
  if (ok && o.client_ca != nullptr) {
    ok = SSL_set1_verify_cert_store(ssl, o.client_ca) == 1;
    SSL_set_client_CA_list(ssl, SSL_dup_CA_list(o.client_ca_names));
  }
  if (ok && !o.allowed_sans.empty()) {
    // Called again for a second ClientHello (TLS 1.3 HelloRetryRequest).
    delete static_cast<std::shared_ptr<const TlsMaterial>*>(SSL_get_ex_data(ssl, MaterialIndex()));
    SSL_set_ex_data(ssl, MaterialIndex(), new std::shared_ptr<const TlsMaterial>(material));
  }
  if (!ok) {
    ERR_clear_error();
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace metrics_adapter
