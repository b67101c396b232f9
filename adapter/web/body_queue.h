// BodyQueue carries a /metrics body from the render-pool thread that
// renders it to the civetweb worker that sends it, chunk by chunk, so that
// the two overlap. The render side never waits: Write appends to the queue
// and returns, however slowly the client reads (the render holds the
// store's lock, and a slow client must not stall ingestion). The worker
// side waits for each chunk. At worst the whole body is queued (a client
// that does not read); with a reading client, a few chunks. Once the worker
// gives up on the body (HEAD, client gone) it calls Discard and the render's
// chunks are dropped as they come, so nobody holds them.
//
// Thread-safe: one render thread writes, one worker reads.
//
// Usage:
//   BodyQueue queue;
//   render thread:  handler(accept, queue); queue.Close(false);  // true if it threw
//   worker:         for (auto item = queue.Pop(); item.kind == BodyQueue::kChunk; ...) Send(...)
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "adapter/web/http_server.h"

namespace metrics_adapter {

class BodyQueue final : public MetricsBody {
 public:
  enum Kind {
    kChunk,   // a chunk of the body
    kEnd,     // the render returned; every chunk was popped
    kFailed,  // the render threw (reported before any chunk still queued)
  };
  struct Item {
    Kind kind = kEnd;
    std::string chunk;
    bool last = false;  // the render said it is the body's final chunk
  };

  BodyQueue();

  void SetContentType(std::string content_type) override;
  void Write(std::string chunk, bool last) override;
  // The render is over, normally or (`failed`) by an exception. Wakes Pop.
  void Close(bool failed);

  // Waits for the next chunk or the end of the render.
  Item Pop();
  // The body will not be sent further: drops the queued chunks and every
  // chunk written from now on.
  void Discard();
  // As the render set it; read after Pop returned a chunk.
  std::string content_type() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable ready_;
  // Every chunk written, chunks_[next_] the next to pop. A vector reserved
  // once, not a deque: a deque's 512-byte nodes, made by the render and freed
  // by the worker, stayed in each of the 512 workers' caches of small blocks
  // (0.7 MiB more after 600 scrapes).
  std::vector<Item> chunks_;
  std::size_t next_ = 0;
  std::string content_type_;
  bool closed_ = false;
  bool failed_ = false;
  bool discarding_ = false;
};

}  // namespace metrics_adapter
