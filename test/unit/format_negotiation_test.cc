// NegotiateFormat and ParseHeaderList: which exposition format an Accept
// header gets, q-values, wildcards, parameters and unknown media types.
#include "adapter/exposition/format_negotiation.h"

#include <doctest/doctest.h>

#include <string>

#include "adapter/base/header_list.h"

namespace metrics_adapter {
namespace {

std::string Chosen(std::string_view accept) {
  return std::string(NegotiateFormat(accept).content_type);
}

// What Prometheus 2.42 sends by default and with native histograms on.
constexpr std::string_view kPrometheusDefault =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
constexpr std::string_view kPrometheusNative =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
    "q=0.8,application/openmetrics-text;version=1.0.0;q=0.6,application/openmetrics-text;"
    "version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";

TEST_CASE("ParseHeaderList splits elements, parameters and q-values") {
  const std::vector<HeaderElement> list = ParseHeaderList(
      " text/plain ; version=0.0.4 ; q=0.5 ,, a/b;x=\"y z\";Q=1, c;q=2, d;q=0.1234");
  REQUIRE(list.size() == 4);
  CHECK(list[0].value == "text/plain");
  CHECK(list[0].q == 500);
  REQUIRE(list[0].params.size() == 1);
  CHECK(list[0].params[0] == HeaderParam{"version", "0.0.4"});
  CHECK(list[1].value == "a/b");
  CHECK(list[1].q == 1000);
  CHECK(list[1].params[0] == HeaderParam{"x", "y z"});
  CHECK(list[2].q == 0);  // malformed: above 1
  CHECK(list[3].q == 0);  // malformed: four decimals
  CHECK(ParseHeaderList("").empty());
  CHECK(ParseQValue("0.001") == 1);
  CHECK(ParseQValue("1.000") == 1000);
  CHECK_FALSE(ParseQValue("1.001"));
  CHECK_FALSE(ParseQValue(".5"));
}

TEST_CASE("Prometheus's own Accept headers get OpenMetrics, or protobuf with native histograms") {
  CHECK(NegotiateFormat(kPrometheusDefault).format == ExpositionFormat::kOpenMetrics);
  CHECK(Chosen(kPrometheusDefault) == kOpenMetricsContentType);
  CHECK(NegotiateFormat(kPrometheusNative).format == ExpositionFormat::kProtobuf);
  CHECK(Chosen(kPrometheusNative) == kProtobufContentType);
  // Older Prometheus versions: the text format only.
  CHECK(Chosen("text/plain;version=0.0.4;q=1,*/*;q=0.1") == kTextContentType);
}

TEST_CASE("no header, an unknown type or everything refused gets the text format") {
  CHECK(NegotiateFormat("").format == ExpositionFormat::kText);
  CHECK(Chosen("application/json") == kTextContentType);
  CHECK(Chosen("application/openmetrics-text;q=0, text/plain;q=0") == kTextContentType);
  CHECK(Chosen("garbage;;;,=,") == kTextContentType);
}

TEST_CASE("q-values decide; a specific range overrides a wildcard for its type") {
  CHECK(Chosen("text/plain;q=0.2, application/openmetrics-text;q=0.3") == kOpenMetricsContentType);
  CHECK(Chosen("text/plain;q=0.4, application/openmetrics-text;q=0.3") == kTextContentType);
  // */* at 1 would allow everything, but text/plain itself is refused.
  CHECK(NegotiateFormat("*/*, text/plain;q=0").format == ExpositionFormat::kOpenMetrics);
  // application/* refused, text allowed by */*.
  CHECK(Chosen("application/*;q=0, */*") == kTextContentType);
  CHECK(Chosen("application/*") == kOpenMetricsContentType);
  // Explicit beats a wildcard of the same q.
  CHECK(Chosen("*/*, application/openmetrics-text") == kOpenMetricsContentType);
  CHECK(Chosen("*/*") == kTextContentType);
  CHECK(Chosen("text/*") == kTextContentType);
}

TEST_CASE("versions and protobuf parameters select the format and its content type") {
  CHECK(Chosen("application/openmetrics-text; version=0.0.1") == kOpenMetrics001ContentType);
  CHECK(Chosen("application/openmetrics-text; version=1.0.0") == kOpenMetricsContentType);
  CHECK(Chosen("application/openmetrics-text") == kOpenMetricsContentType);
  CHECK(Chosen("Application/OpenMetrics-Text; VERSION=0.0.1") == kOpenMetrics001ContentType);
  CHECK(Chosen("application/openmetrics-text; version=2.0.0") == kTextContentType);
  CHECK(Chosen("text/plain; version=0.0.3") == kTextContentType);  // nothing matches: default
  CHECK(Chosen("text/plain; version=0.0.3, application/openmetrics-text;q=0.1") ==
        kOpenMetricsContentType);
  CHECK(Chosen("application/vnd.google.protobuf") == kTextContentType);
  CHECK(Chosen("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
               "encoding=text") == kTextContentType);
  CHECK(Chosen("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
               "encoding=delimited") == kProtobufContentType);
}

}  // namespace
}  // namespace metrics_adapter
