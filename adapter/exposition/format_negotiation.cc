#include "adapter/exposition/format_negotiation.h"

#include <array>
#include <optional>

#include "adapter/base/header_list.h"
#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// A format the adapter writes, as the media type it answers to.
struct Offer {
  NegotiatedFormat result;
  std::string_view type;
  std::string_view subtype;
  // Whether the range's parameters select this offer (all other parameters,
  // charset for one, are ignored).
  bool (*params_match)(const std::vector<HeaderParam>& params);
};

std::optional<std::string_view> Param(const std::vector<HeaderParam>& params,
                                      std::string_view name) {
  for (const auto& [key, value] : params) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool TextParams(const std::vector<HeaderParam>& params) {
  const auto version = Param(params, "version");
  return !version || *version == "0.0.4";
}

bool OpenMetrics1Params(const std::vector<HeaderParam>& params) {
  const auto version = Param(params, "version");
  return !version || *version == "1.0.0";
}

bool OpenMetrics001Params(const std::vector<HeaderParam>& params) {
  return Param(params, "version") == "0.0.1";
}

bool ProtobufParams(const std::vector<HeaderParam>& params) {
  return Param(params, "proto") == "io.prometheus.client.MetricFamily" &&
         Param(params, "encoding") == "delimited";
}

// In the order ties are broken in.
constexpr std::array<Offer, 4> kOffers = {{
    {{ExpositionFormat::kText, kTextContentType}, "text", "plain", TextParams},
    {{ExpositionFormat::kOpenMetrics, kOpenMetricsContentType},
     "application",
     "openmetrics-text",
     OpenMetrics1Params},
    {{ExpositionFormat::kOpenMetrics, kOpenMetrics001ContentType},
     "application",
     "openmetrics-text",
     OpenMetrics001Params},
    {{ExpositionFormat::kProtobuf, kProtobufContentType},
     "application",
     "vnd.google.protobuf",
     ProtobufParams},
}};

// How specifically `range` names `offer`: -1 not at all, 0 "*/*",
// 1 "type/*", 2 "type/subtype", 3 the same with parameters.
int Specificity(const HeaderElement& range, const Offer& offer) {
  const std::size_t slash = range.value.find('/');
  if (slash == std::string_view::npos) return -1;
  const std::string_view type = range.value.substr(0, slash);
  const std::string_view subtype = range.value.substr(slash + 1);
  if (type == "*") return subtype == "*" ? 0 : -1;
  if (!EqualsIgnoreCase(type, offer.type)) return -1;
  if (subtype == "*") return 1;
  if (!EqualsIgnoreCase(subtype, offer.subtype) || !offer.params_match(range.params)) return -1;
  return range.params.empty() ? 2 : 3;
}

}  // namespace

NegotiatedFormat NegotiateFormat(std::string_view accept) {
  const std::vector<HeaderElement> ranges = ParseHeaderList(accept);
  const Offer* best = nullptr;
  int best_q = 0;
  int best_specificity = -1;
  for (const Offer& offer : kOffers) {
    // The offer's q is the one of the most specific range naming it.
    int specificity = -1;
    int q = 0;
    for (const HeaderElement& range : ranges) {
      const int s = Specificity(range, offer);
      if (s > specificity) {
        specificity = s;
        q = range.q;
      }
    }
    if (q > best_q || (q == best_q && q > 0 && specificity > best_specificity)) {
      best = &offer;
      best_q = q;
      best_specificity = specificity;
    }
  }
  return best != nullptr ? best->result : kOffers.front().result;
}

}  // namespace metrics_adapter
