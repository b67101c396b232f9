// A complete rule file for one access-log format (log_format.h): the
// `line` parser, the HTTP families of rules/schema/http.yaml declared in the
// file itself (so it stands alone wherever it is saved, and agrees with
// http.yaml where both are loaded), rules whose regexes follow the format
// field by field, and an embedded test of synthetic lines in that format.
//
// What the rules write, by label set {http_request_method, http_response_status_code}:
//   http_server_requests_total                  one per logged request
//   http_server_response_body_size_bytes_total  + the body bytes ("-" adds nothing);
//                                               with no body-bytes field, the bytes
//                                               with headers ($bytes_sent, %O)
//   http_server_request_duration_seconds        the request's duration, in its unit
// The method comes from the request line or the method field; a request
// line that is not "METHOD target", or a format with neither, counts as
// "_OTHER".
//
// No client-controlled value can make a logged request unmatched: a value
// the server writes between '"' (or before a tab) is matched by what the
// escaping lets it hold, and where a value could hold the byte after it (no
// escaping, or a field not followed by such a byte) a second rule takes any
// text there.
#pragma once

#include <optional>
#include <string>

#include "rules/log_format/log_format.h"

namespace metrics_adapter {

// Returns the rule file's text, or nullopt with *error when the format
// cannot be turned into one: it logs no status code (the families count by
// status), or it is empty.
std::optional<std::string> WriteRuleFile(const LogFormat& format, std::string* error);

}  // namespace metrics_adapter
