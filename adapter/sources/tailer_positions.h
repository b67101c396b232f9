// TailerPositions is the seam through which a FileTailer resumes files where
// an earlier run of the program stopped, and reports how far each file has
// been counted. The FileTailer knows nothing of how positions are kept;
// Positions (positions.h) implements this for one source.
//
// Usage:
//   class Saved : public TailerPositions { ... };
//   Saved saved;
//   FileTailer tailer(options, &observer, &saved);
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

namespace metrics_adapter {

// A file's identity on this machine, as stat(2) gives it.
struct FileKey {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  auto operator<=>(const FileKey&) const = default;
};

// Called only from the thread running the tailer's Poll()/Run().
class TailerPositions {
 public:
  virtual ~TailerPositions() = default;

  // The tailer opened `key` (readable through `fd`, which may be pread but
  // must not be closed or moved) and asks where to start. Returns the saved
  // offset when one is known for this identity and the file's first bytes
  // still match, or nullopt: no saved position, read the file from its start.
  // The tailer clamps the result to the file's size.
  virtual std::optional<off_t> ResumeOffset(int fd, const FileKey& key, std::string_view path) = 0;

  // Every byte of the file before `offset` has been handed over, as complete
  // lines whose OnLines call has returned, or skipped: `offset` is where a
  // restart may resume, never past a line not yet counted (a held partial
  // line starts at or after it). `head`: the file's first bytes as read (up
  // to 64), its fingerprint. Called when the file is opened and after every
  // read that handed lines over; must not allocate in the steady state.
  virtual void Commit(const FileKey& key, std::string_view path, off_t offset,
                      std::string_view head) = 0;

  // The tailer closed the file (drained after rotation or deletion): its
  // last committed offset is final.
  virtual void Close(const FileKey& key) = 0;
};

}  // namespace metrics_adapter
