// Content negotiation for /metrics: which exposition format a scrape's
// Accept header asks for.
//
// Prometheus lists what it reads with q-values, e.g. 2.42 by default
//   application/openmetrics-text;version=1.0.0,application/openmetrics-text;
//   version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1
// and with native histograms on, protobuf first:
//   application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;
//   encoding=delimited;q=0.8,application/openmetrics-text;version=1.0.0;q=0.6,...
//
// Usage:
//   const NegotiatedFormat chosen = NegotiateFormat(accept_header);
//   body = RenderExposition(exposables, chosen.format);
//   content_type = chosen.content_type;
#pragma once

#include <string_view>

#include "adapter/exposition/exposition.h"

namespace metrics_adapter {

struct NegotiatedFormat {
  ExpositionFormat format;
  std::string_view content_type;  // one of exposition.h's k...ContentType
};

// The format the Accept header prefers (RFC 9110 section 12.5.1):
//   - each format the adapter writes takes the q of the most specific media
//     range matching it: "type/subtype" with parameters, then without,
//     then "type/*", then "*/*"; media types and parameter names compare
//     case-insensitively;
//   - text/plain matches the text format unless its version is not 0.0.4;
//     application/openmetrics-text with version 1.0.0 or none is
//     OpenMetrics 1.0.0, with version 0.0.1 OpenMetrics 0.0.1 (the same
//     text, the content type names the version asked for), any other
//     version nothing; application/vnd.google.protobuf matches only with
//     proto=io.prometheus.client.MetricFamily and encoding=delimited;
//   - the highest q wins; of equal q the more specific match, then the
//     text format, OpenMetrics 1.0.0, 0.0.1, protobuf, in that order;
//   - when nothing acceptable matches (no header, "application/json",
//     everything at q=0), the text format: what every scraper reads, and
//     better for a human with curl than a 406.
NegotiatedFormat NegotiateFormat(std::string_view accept);

}  // namespace metrics_adapter
