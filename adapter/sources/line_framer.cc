#include "adapter/sources/line_framer.h"

#include <algorithm>
#include <cstring>

namespace metrics_adapter {

namespace {

// A frame length of more digits is not a length (and would overflow).
constexpr std::size_t kMaxLengthDigits = 10;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::size_t LineFramer::Frame(std::string_view data, std::vector<std::string_view>& lines) {
  if (framing_ == Framing::kAuto && !data.empty()) {
    framing_ = IsDigit(data[0]) ? Framing::kOctetCounting : Framing::kNewline;
  }
  if (framing_ == Framing::kOctetCounting) return FrameOctets(data, lines);
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
  if (framing_ == Framing::kOctetCounting) {  // a frame cut short is no message
    Reset();
    return;
  }
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
  framing_ = options_.framing;
  broken_ = false;
  length_digits_ = 0;
  length_ = 0;
  frame_left_ = 0;
}

std::size_t LineFramer::FrameOctets(std::string_view data, std::vector<std::string_view>& lines) {
  std::size_t too_long = 0;
  while (!data.empty() && !broken_) {
    if (frame_left_ == 0) {
      too_long += ReadFrameLength(data);
    } else {
      ReadFrameBytes(data, lines);
    }
  }
  return too_long;
}

std::size_t LineFramer::ReadFrameLength(std::string_view& data) {
  while (!data.empty()) {
    const char c = data.front();
    data.remove_prefix(1);
    if (IsDigit(c) && length_digits_ < kMaxLengthDigits) {
      length_ = length_ * 10 + static_cast<std::size_t>(c - '0');
      ++length_digits_;
    } else if (c == ' ' && length_digits_ > 0 && length_ > 0) {
      frame_left_ = length_;
      length_digits_ = 0;
      length_ = 0;
      skipping_ = frame_left_ > options_.max_line_bytes;
      return skipping_ ? 1 : 0;
    } else if (c != '\n' || length_digits_ > 0) {
      broken_ = true;
      return 0;
    }
  }
  return 0;
}

void LineFramer::ReadFrameBytes(std::string_view& data, std::vector<std::string_view>& lines) {
  const std::size_t take = std::min(frame_left_, data.size());
  const std::string_view piece = data.substr(0, take);
  data.remove_prefix(take);
  frame_left_ -= take;
  if (skipping_) {
    skipping_ = frame_left_ > 0;
    return;
  }
  if (frame_left_ > 0) {
    partial_.append(piece);  // bounded: the frame is at most max_line_bytes
  } else if (partial_.empty()) {
    EmitFrame(piece, lines);
  } else {
    partial_.append(piece);
    EmitFrame(TakeHeld(), lines);
  }
}

void LineFramer::EmitFrame(std::string_view message, std::vector<std::string_view>& lines) const {
  if (message.ends_with('\n')) message.remove_suffix(1);
  Emit(message, lines);
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
