// CurlLibrary: the libcurl functions the http client calls, loaded on first
// use instead of at program start.
//
// Linked normally, libcurl comes with some thirty libraries (GnuTLS, Kerberos,
// LDAP, SSH, RTMP, IDN, ...) that the dynamic loader maps, relocates and
// initializes at start, GnuTLS's constructor included: about 4 MiB of
// resident memory in every adapter, with or without an http source. Loaded
// here with dlopen("libcurl.so.4") the first time a config names an http
// source (its URL is checked with curl's parser), it costs nothing to the
// others. curl_global_init runs once, right after the load.
//
// The header <curl/curl.h> still gives the types and constants; only the
// functions come from here. A function pointer bypasses the type checks
// curl's header wraps around curl_easy_setopt and curl_easy_getinfo, so pass
// exactly the types curl documents for each option (long, not int).
//
// Usage:
//   std::string error;
//   const CurlLibrary* curl = CurlLibrary::Get(&error);
//   if (curl == nullptr) return "cannot use libcurl: " + error;
//   CURL* handle = curl->easy_init();
#pragma once

#include <curl/curl.h>

#include <string>

namespace metrics_adapter {

struct CurlLibrary {
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_url) url = nullptr;
  decltype(&::curl_url_cleanup) url_cleanup = nullptr;
  decltype(&::curl_url_get) url_get = nullptr;
  decltype(&::curl_url_set) url_set = nullptr;
  decltype(&::curl_url_strerror) url_strerror = nullptr;
  decltype(&::curl_free) free = nullptr;

  // The library, loaded and initialized by the first call (thread-safe);
  // later calls return the same. Null, with *error set, when libcurl.so.4
  // cannot be loaded or lacks one of the functions (every call then says
  // why again): e.g. "libcurl.so.4: cannot open shared object file: No such
  // file or directory".
  static const CurlLibrary* Get(std::string* error);
};

}  // namespace metrics_adapter
