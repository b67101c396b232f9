// UTF-8 checks for text that leaves the adapter: Prometheus requires label
// values to be valid UTF-8, while legacy logs may hold any bytes.
//
// Usage:
//   if (!IsValidUtf8(value)) { std::string fixed; AppendSanitizedUtf8(value, fixed); }
#pragma once

#include <string>
#include <string_view>

namespace metrics_adapter {

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or values
// past U+10FFFF). Fast for ASCII.
bool IsValidUtf8(std::string_view text);

// Appends `text` to `out`, replacing each invalid byte together with the
// stray continuation bytes that follow it by one U+FFFD.
void AppendSanitizedUtf8(std::string_view text, std::string& out);

}  // namespace metrics_adapter
