#include "adapter/web/body_queue.h"

#include <utility>

namespace metrics_adapter {

// Room for an 8 MiB exposition's chunks before the vector grows.
BodyQueue::BodyQueue() { chunks_.reserve(32); }

void BodyQueue::SetContentType(std::string content_type) {
  std::lock_guard lock(mu_);
  content_type_ = std::move(content_type);
}

void BodyQueue::Write(std::string chunk, bool last) {
  std::string dropped;  // freed after the lock is let go
  {
    std::lock_guard lock(mu_);
    if (discarding_) {
      dropped = std::move(chunk);
      return;
    }
    chunks_.push_back({kChunk, std::move(chunk), last});
  }
  ready_.notify_one();
}

void BodyQueue::Close(bool failed) {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    failed_ = failed;
  }
  ready_.notify_one();
}

BodyQueue::Item BodyQueue::Pop() {
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return next_ < chunks_.size() || closed_; });
  // A failed render's chunks are a body cut short: not worth sending.
  if (failed_) return {kFailed, {}, false};
  if (next_ == chunks_.size()) return {kEnd, {}, false};
  return std::move(chunks_[next_++]);
}

void BodyQueue::Discard() {
  std::lock_guard lock(mu_);
  discarding_ = true;
  for (; next_ < chunks_.size(); ++next_) chunks_[next_].chunk = std::string();
}

std::string BodyQueue::content_type() const {
  std::lock_guard lock(mu_);
  return content_type_;
}

}  // namespace metrics_adapter
