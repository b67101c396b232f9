// libssl.so for civetweb: Debian 12's civetweb 1.15 was built for the OpenSSL
// 1.1 API and looks its OpenSSL functions up at run time, with
// dlopen("libssl.so") and dlsym. Against OpenSSL 3 all of them resolve but
// SSL_get_peer_certificate, which OpenSSL 3 renamed SSL_get1_peer_certificate
// (same contract: a new reference the caller frees with X509_free); civetweb
// would call it through a null pointer on the first TLS connection.
//
// This library has the soname "libssl.so", depends on libssl.so.3 and defines
// that one function. The adapter dlopens it by absolute path before civetweb
// starts TLS (see tls_libraries.h); civetweb's dlopen("libssl.so") then finds
// it already loaded, and its dlsym finds every other function in libssl.so.3
// through this library's dependency.
#include <openssl/ssl.h>
#include <openssl/x509.h>

// OpenSSL 3's headers map the old name to the new one with a macro.
#undef SSL_get_peer_certificate

extern "C" __attribute__((visibility("default"))) X509* SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}
