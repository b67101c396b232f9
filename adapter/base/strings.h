// The small string jobs every layer has: quoting a name for a message,
// trimming a set of characters, comparing ASCII case-insensitively, the
// text of an errno value. One
// definition each, so a message or a header reads the same everywhere.
//
// Usage:
//   diags.Error(pos, "unknown key " + Quoted(key));     // unknown key "mach"
//   std::string_view v = Trim(" gzip\t", kBlanks);       // "gzip"
//   if (EqualsIgnoreCase(coding, "chunked")) ...
#pragma once

#include <string>
#include <string_view>

namespace metrics_adapter {

// Space and horizontal tab: the optional whitespace of HTTP headers, CSV
// cells and most key/value status pages.
inline constexpr std::string_view kBlanks = " \t";
// Blanks and a carriage return: text whose lines may still end in "\r".
inline constexpr std::string_view kBlanksAndCr = " \t\r";
// Every ASCII whitespace character but the newline that ends a line.
inline constexpr std::string_view kWhitespace = " \t\r\f\v";

// `text` in double quotes, with '"' and '\' escaped by a backslash, so a
// name holding either still reads unambiguously in a message.
std::string Quoted(std::string_view text);

// `text` without the leading and trailing characters that are in `chars`.
// The result views `text`.
std::string_view Trim(std::string_view text, std::string_view chars);

// Whether `a` and `b` are equal when ASCII letters are folded to lower
// case. Bytes outside A-Z are compared as they are (no locale).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The system's text for an errno value ("No such file or directory"), as
// strerror gives it but safe to call from any thread.
std::string ErrnoText(int err);

}  // namespace metrics_adapter
