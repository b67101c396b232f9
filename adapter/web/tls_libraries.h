// LoadCivetwebOpenSsl makes civetweb's TLS work against OpenSSL 3.
//
// Debian 12's civetweb 1.15 does not link OpenSSL: when a TLS listener
// starts it calls dlopen("libssl.so") and dlopen("libcrypto.so") and looks
// its functions up with dlsym, expecting the OpenSSL 1.1 API. Against
// OpenSSL 3 one of them, SSL_get_peer_certificate, is missing (renamed
// SSL_get1_peer_certificate), and civetweb calls it through a null pointer;
// and the unversioned names exist only where libssl-dev is installed.
//
// The program ships two small shims, libssl.so and libcrypto.so (see
// openssl_shim/), with exactly those sonames, depending on libssl.so.3 and
// libcrypto.so.3. Loading them here, by absolute path and before civetweb
// starts TLS, means civetweb's dlopen by name finds them already loaded (the
// dynamic loader matches loaded objects by soname first) whatever else is on
// the library path.
//
// Where they are looked for, first found wins (EXE_DIR is the directory of
// /proc/self/exe):
//   EXE_DIR/lib/metrics-adapter/      the build tree
//   EXE_DIR/../lib/metrics-adapter/   installed (cmake --install, the image)
#pragma once

#include <string>

namespace metrics_adapter {

// Loads both shims and checks that civetweb's names now resolve to them.
// Idempotent and thread-safe; the outcome of the first call is kept. Returns
// false with *error saying which file was missing or could not be loaded.
bool LoadCivetwebOpenSsl(std::string* error);

}  // namespace metrics_adapter
