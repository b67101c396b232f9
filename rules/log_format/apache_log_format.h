// Apache httpd's LogFormat, read into a LogFormat (log_format.h).
//
// Accepts the directive as written in httpd.conf,
//   LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" %D" nickname
// (the nickname is optional), or just the format string. Directives are
// %x, %{arg}x, %<x and %>x, with conditions (%400,501{User-agent}i,
// %!200b): those the HTTP families need (%r, %m, %s / %>s, %b, %B, %O, %D,
// %T and %{s|ms|us}T) get their roles, those httpd writes in a known shape
// (addresses, ports, %t, numbers) are matched by that shape, and any other
// (headers, notes, environment, cookies, the URL, the user, directives this
// does not know) as text a client controls. A conditional field may be "-".
// \t and \n in the format are a tab and a line break, as httpd reads them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/log_format/log_format.h"

namespace metrics_adapter {

// Returns the format, or nullopt with *error naming the position (a column
// of `text`, 1-based) and what is wrong there: an unterminated string or
// %{...}, a '%' at the end, a %{unit}T of another unit, a line break inside
// the format.
std::optional<LogFormat> ParseApacheLogFormat(std::string_view text, std::string* error);

}  // namespace metrics_adapter
