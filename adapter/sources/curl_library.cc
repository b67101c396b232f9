#include "adapter/sources/curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace metrics_adapter {
namespace {

// The soname of Debian's libcurl4 (OpenSSL flavour), the one the build's
// headers come from (libcurl4-openssl-dev).
constexpr const char* kLibcurl = "libcurl.so.4";

// Sets *fn to `name` from `handle`; false, with *error, if it is missing.
template <typename Fn>
bool Resolve(void* handle, const char* name, Fn* fn, std::string* error) {
  *fn = reinterpret_cast<Fn>(dlsym(handle, name));  // NOLINT: dlsym's contract
  if (*fn == nullptr) {
    *error = std::string(kLibcurl) + " has no function " + name;
    return false;
  }
  return true;
}

bool Load(CurlLibrary* lib, std::string* error) {
  // RTLD_LOCAL: its symbols serve these pointers only. Never closed: curl's
  // global state lives as long as the process.
  void* handle = dlopen(kLibcurl, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    *error = why != nullptr ? why : std::string("cannot load ") + kLibcurl;
    return false;
  }
  decltype(&::curl_global_init) global_init = nullptr;
  const bool resolved = Resolve(handle, "curl_global_init", &global_init, error) &&
                        Resolve(handle, "curl_easy_init", &lib->easy_init, error) &&
                        Resolve(handle, "curl_easy_cleanup", &lib->easy_cleanup, error) &&
                        Resolve(handle, "curl_easy_setopt", &lib->easy_setopt, error) &&
                        Resolve(handle, "curl_easy_getinfo", &lib->easy_getinfo, error) &&
                        Resolve(handle, "curl_easy_perform", &lib->easy_perform, error) &&
                        Resolve(handle, "curl_easy_strerror", &lib->easy_strerror, error) &&
                        Resolve(handle, "curl_slist_append", &lib->slist_append, error) &&
                        Resolve(handle, "curl_slist_free_all", &lib->slist_free_all, error) &&
                        Resolve(handle, "curl_url", &lib->url, error) &&
                        Resolve(handle, "curl_url_cleanup", &lib->url_cleanup, error) &&
                        Resolve(handle, "curl_url_get", &lib->url_get, error) &&
                        Resolve(handle, "curl_url_set", &lib->url_set, error) &&
                        Resolve(handle, "curl_url_strerror", &lib->url_strerror, error) &&
                        Resolve(handle, "curl_free", &lib->free, error);
  if (!resolved) return false;
  // Not thread-safe in every build of curl: the once flag of Get() makes it
  // run before any handle, on whichever thread gets here first. A failure
  // makes curl_easy_init fail, which the client reports.
  global_init(CURL_GLOBAL_DEFAULT);
  return true;
}

}  // namespace

const CurlLibrary* CurlLibrary::Get(std::string* error) {
  static std::once_flag once;
  static CurlLibrary lib;
  static bool loaded = false;
  static std::string load_error;
  std::call_once(once, [] { loaded = Load(&lib, &load_error); });
  if (!loaded) {
    *error = load_error;
    return nullptr;
  }
  return &lib;
}

}  // namespace metrics_adapter
