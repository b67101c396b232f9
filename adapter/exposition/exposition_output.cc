#include "adapter/exposition/exposition_output.h"

#include <algorithm>
#include <utility>

namespace metrics_adapter {

ExpositionOutput::ExpositionOutput(std::size_t chunk_bytes, std::size_t estimate,
                                   const ExpositionSink& sink)
    : chunk_bytes_(chunk_bytes), sink_(sink) {
  // The slack covers values longer than the estimate's (17-digit gauges)
  // and, in chunks, the line that crosses the chunk's end, without a
  // regrowth; protobuf is smaller than text.
  const std::size_t whole = estimate + estimate / 8;
  reserve_ = chunk_bytes == kWholeBody ? whole : std::min(whole, chunk_bytes + chunk_bytes / 8);
  text_.reserve(reserve_);
}

void ExpositionOutput::HandOver(bool last) {
  std::string chunk = std::move(text_);
  text_ = std::string();
  if (!last) text_.reserve(reserve_);
  sink_(std::move(chunk), last);
}

}  // namespace metrics_adapter
