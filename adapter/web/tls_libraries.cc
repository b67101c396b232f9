#include "adapter/web/tls_libraries.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr const char* kSslShim = "libssl.so";
constexpr const char* kCryptoShim = "libcrypto.so";

std::string ExecutableDir() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  std::string exe(path, static_cast<std::size_t>(n));
  const std::size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "." : exe.substr(0, slash);
}

// The first candidate directory holding both shims, or "" with *error set.
std::string ShimDir(std::string* error) {
  const std::string exe_dir = ExecutableDir();
  const std::vector<std::string> candidates = {exe_dir + "/lib/metrics-adapter",
                                               exe_dir + "/../lib/metrics-adapter"};
  for (const std::string& dir : candidates) {
    if (access((dir + "/" + kSslShim).c_str(), R_OK) == 0 &&
        access((dir + "/" + kCryptoShim).c_str(), R_OK) == 0) {
      return dir;
    }
  }
  *error = "the OpenSSL shims for civetweb (" + std::string(kSslShim) + ", " + kCryptoShim +
           ") are in neither " + candidates[0] + " nor " + candidates[1];
  return "";
}

bool Load(std::string* error) {
  const std::string dir = ShimDir(error);
  if (dir.empty()) return false;
  // libcrypto first: the ssl shim's dependency on libssl.so.3 pulls in
  // libcrypto.so.3 either way, but civetweb asks for "libcrypto.so" too.
  for (const char* name : {kCryptoShim, kSslShim}) {
    const std::string path = dir + "/" + name;
    // Never closed: civetweb keeps the pointers it looks up.
    if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      const char* why = dlerror();
      *error = "cannot load " + path + ": " + (why ? why : "unknown error");
      return false;
    }
  }
  // What civetweb's dlopen("libssl.so") will return: it must be the shim,
  // with the function OpenSSL 3 lacks.
  void* ssl = dlopen(kSslShim, RTLD_LAZY | RTLD_NOLOAD);
  if (ssl == nullptr || dlsym(ssl, "SSL_get_peer_certificate") == nullptr ||
      dlsym(ssl, "SSL_CTX_new") == nullptr) {
    *error = "the OpenSSL shim in " + dir + " does not provide what civetweb looks up";
    return false;
  }
  dlclose(ssl);  // only drops the reference NOLOAD added
  return true;
}

}  // namespace

bool LoadCivetwebOpenSsl(std::string* error) {
  static std::once_flag once;
  static bool loaded = false;
  static std::string load_error;
  std::call_once(once, [] { loaded = Load(&load_error); });
  if (!loaded) *error = load_error;
  return loaded;
}

}  // namespace metrics_adapter
