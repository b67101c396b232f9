// nginx's log_format, read into a LogFormat (log_format.h).
//
// Accepts the directive as written in nginx.conf,
//   log_format main [escape=default|json|none] '$remote_addr - $remote_user ...'
//                   '"$request" $status ...';
// (quoted or bare strings, joined; the nickname and the ';' are optional),
// or just the format string. Variables are $name and ${name}; those the HTTP
// families need ($request, $request_method, $status, $body_bytes_sent,
// $bytes_sent, $request_time) get their roles, variables nginx writes in a
// known shape (addresses, times, numbers, upstream lists that may be "-" or
// "a, b : c") are matched by that shape, and any other (headers, cookies,
// arguments, variables of modules this does not know) as text a client
// controls.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/log_format/log_format.h"

namespace metrics_adapter {

// Returns the format, or nullopt with *error naming the position (a column
// of `text`, 1-based) and what is wrong there: an unterminated string, a
// '$' with no variable name, an unknown escape= value, a newline inside the
// format.
std::optional<LogFormat> ParseNginxLogFormat(std::string_view text, std::string* error);

}  // namespace metrics_adapter
