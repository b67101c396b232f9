// ExpositionOutput: where a render writes its text, handed over in chunks.
//
// A render appends to text() and calls Boundary() wherever a chunk may end
// (after a series, a metric, a family): once the text has reached
// chunk_bytes it goes to the sink and a fresh string takes its place. That
// costs one compare per series, so the writer of a 100,000-series family
// can hand its lines over while it is still writing them, and whoever sends
// them can start before the render has finished. Finish() hands over the
// rest, marked last. With chunk_bytes kWholeBody there is no chunk before
// Finish: the sink gets the whole text once.
//
// The sink runs on the rendering thread, inside the render (a store's
// render holds its lock): it must only take the chunk, never wait.
//
// Usage:
//   ExpositionOutput out(kExpositionChunkBytes, size_estimate, sink);
//   for (...) { AppendSample(out.text(), ...); out.Boundary(); }
//   out.Finish();
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <string>

namespace metrics_adapter {

// Receives a render's text in order: every chunk but the last at least the
// chunk size asked for, the last (possibly empty) with `last` set.
using ExpositionSink = std::function<void(std::string chunk, bool last)>;

// No chunks: the whole text goes to the sink once, at the end.
inline constexpr std::size_t kWholeBody = std::numeric_limits<std::size_t>::max();

class ExpositionOutput {
 public:
  // `estimate`: about how much the whole render writes; a chunk's string is
  // reserved for the smaller of it and a chunk (plus slack for the line that
  // crosses the boundary), so neither regrows in the common case. `sink` is
  // referred to, not copied: it must outlive the output.
  ExpositionOutput(std::size_t chunk_bytes, std::size_t estimate, const ExpositionSink& sink);
  ExpositionOutput(const ExpositionOutput&) = delete;
  ExpositionOutput& operator=(const ExpositionOutput&) = delete;

  // Where the text goes; the text formats' Append* functions write into it.
  std::string& text() { return text_; }
  // A chunk may end here: hands the text over when it holds chunk_bytes.
  void Boundary() {
    if (text_.size() >= chunk_bytes_) HandOver(false);
  }
  // Hands over what is left as the last chunk. Call once, at the end.
  void Finish() { HandOver(true); }

 private:
  void HandOver(bool last);

  const std::size_t chunk_bytes_;
  std::size_t reserve_;  // for each chunk's string
  const ExpositionSink& sink_;
  std::string text_;
};

}  // namespace metrics_adapter
