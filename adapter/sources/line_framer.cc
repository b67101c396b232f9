#include "adapter/sources/line_framer.h"

#include <cstring>

namespace metrics_adapter {

std::size_t LineFramer::Frame(std::string_view data, std::vector<std::string_view>& lines) {
  std::size_t too_long = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const void* found = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (found == nullptr) break;
    const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
    too_long += EndLine(data.substr(pos, end - pos), lines);
    pos = end + 1;
  }
  return too_long + Hold(data.substr(pos));
}

void LineFramer::Finish(std::vector<std::string_view>& lines) {
  const bool final_line = !skipping_ && !partial_.empty();
  skipping_ = false;
  if (final_line) {
    Emit(TakeHeld(), lines);
  } else {
    partial_.clear();
  }
}

void LineFramer::Reset() {
  partial_.clear();
  skipping_ = false;
}

std::size_t LineFramer::EndLine(std::string_view piece, std::vector<std::string_view>& lines) {
  if (skipping_) {  // the end of a line already counted, or not ours
    skipping_ = false;
    return 0;
  }
  if (partial_.empty()) {
    if (piece.size() > options_.max_line_bytes) return 1;
    Emit(piece, lines);
    return 0;
  }
  // Only the first line of a call can complete a held one, so one joined_
  // buffer suffices.
  if (partial_.size() + piece.size() > options_.max_line_bytes) {
    partial_.clear();
    return 1;
  }
  partial_.append(piece);
  Emit(TakeHeld(), lines);
  return 0;
}

std::size_t LineFramer::Hold(std::string_view rest) {
  if (skipping_ || rest.empty()) return 0;
  if (partial_.size() + rest.size() > options_.max_line_bytes) {
    partial_.clear();
    skipping_ = true;
    return 1;
  }
  partial_.append(rest);
  return 0;
}

std::string_view LineFramer::TakeHeld() {
  joined_.swap(partial_);
  partial_.clear();
  return joined_;
}

void LineFramer::Emit(std::string_view line, std::vector<std::string_view>& lines) const {
  if (options_.strip_cr && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (options_.skip_empty && line.empty()) return;
  lines.push_back(line);
}

}  // namespace metrics_adapter
