// Positions: how far each file of each file source has been counted, kept
// in one positions file so that a restarted adapter resumes every file where
// the last run stopped: no line lost, none counted twice.
//
// A file is known by its identity: device and inode, and a fingerprint of
// its first bytes (a hash of up to 64 bytes, and how many), so that a file
// replaced while the adapter was down (deleted and recreated, possibly with
// the same inode number; truncated and rewritten) is never resumed at a stale
// offset: it is read from its start. The offset saved is the end of the last
// line the source's pipeline has fully processed; a held partial line is
// read again from its start.
//
// The positions file is JSON, written whole to a temporary file in the same
// directory, fsync'ed and renamed over the old one, so a crash leaves the old
// or the new file, never a mix. It records whether it was written at a clean
// shutdown: resuming from a save made by the periodic timer (the adapter was
// killed) may read again what was counted after that save.
//
//   {"version": 1, "clean_shutdown": true, "sources": {"access": [
//     {"path": "/var/log/app/access.log", "device": "2049", "inode": "131",
//      "offset": 5120, "fingerprint_bytes": 64, "fingerprint": "9f0c1b2a3d4e5f60"}]}}
//
// Usage:
//   Positions positions("/var/lib/metrics-adapter/positions.json", &events);
//   if (std::string warning = positions.Load(); !warning.empty()) log(warning);
//   std::unique_ptr<TailerPositions> hook = positions.ForSource("access");
//   FileTailer tailer(options, &pipeline, hook.get());
//   ...
//   positions.Save(/*clean_shutdown=*/false, &error);  // every sync_interval
//
// Thread-safe: tailers of several sources commit while a timer saves.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "adapter/sources/tailer_positions.h"

namespace metrics_adapter {

// What happens to saved positions, for the adapter's own metrics. Called
// from tailer threads, under no lock of the caller's.
class PositionsEvents {
 public:
  virtual ~PositionsEvents() = default;
  // A file of `source` was resumed at an offset read from the positions
  // file; `clean`: that file was written at a clean shutdown.
  virtual void OnResumed(std::string_view source, bool clean) = 0;
  // A saved position of `source` was not used: the file with that identity
  // now has other first bytes or is shorter than the offset (replaced or
  // truncated while the adapter was down). It is read from its start.
  virtual void OnReplaced(std::string_view source) = 0;
};

// The bytes of a file's head that identify it, with the saved offset.
struct SavedPosition {
  std::string path;  // where the file was last seen (informative; kept while it still names it)
  FileKey key;
  off_t offset = 0;
  std::uint32_t fingerprint_bytes = 0;
  std::uint64_t fingerprint = 0;
};

// The fingerprint of a file's first bytes: FNV-1a over `head`.
std::uint64_t Fingerprint(std::string_view head);

class Positions {
 public:
  // `events` may be null; it must outlive this object.
  Positions(std::string path, PositionsEvents* events);
  ~Positions();
  Positions(const Positions&) = delete;
  Positions& operator=(const Positions&) = delete;

  // Reads the positions file. A missing file is no error (nothing saved
  // yet). Returns "" on success, else a warning naming the file and what is
  // wrong (file:line:col for a malformed one); the positions are then empty,
  // as if no file existed.
  std::string Load();
  // Whether the loaded file was written at a clean shutdown (true when none).
  bool loaded_clean() const;

  // The seam one source's tailer uses; it must not outlive this object.
  // When it goes (the tailer stopped), the source's files count as closed.
  std::unique_ptr<TailerPositions> ForSource(std::string source);

  // Forgets every source for which `keep` returns false (removed from the config).
  void RetainSources(const std::function<bool(const std::string&)>& keep);

  // The positions as the file holds them. Drops, and leaves out, positions
  // of files no tailer has open whose path no longer names them (rotated
  // away and gone, or deleted).
  std::string Serialize(bool clean_shutdown);

  // Writes Serialize() atomically (temporary file in the same directory,
  // fsync, rename, fsync of the directory). Returns false with `error` set
  // (naming the file and the failed step); the old file is then untouched.
  bool Save(bool clean_shutdown, std::string* error);

  // One source's positions, for tests.
  std::map<FileKey, SavedPosition> Snapshot(const std::string& source) const;

 private:
  class SourceHook;
  struct Entry {
    SavedPosition saved;
    bool open = false;       // a running tailer follows the file
    bool from_file = false;  // loaded, not yet resumed or committed in this run
  };
  using Entries = std::map<FileKey, Entry>;

  std::optional<off_t> ResumeOffset(const std::string& source, int fd, const FileKey& key);
  void Commit(const std::string& source, const FileKey& key, std::string_view path, off_t offset,
              std::string_view head);
  void Close(const std::string& source, const FileKey& key);
  void CloseAll(const std::string& source);
  Entries& EntriesOf(const std::string& source);  // under mu_

  const std::string path_;
  PositionsEvents* const events_;
  mutable std::mutex mu_;
  std::map<std::string, Entries, std::less<>> sources_;
  bool loaded_clean_ = true;
  std::mutex save_mu_;  // one Save at a time (the timer and the final save)
};

}  // namespace metrics_adapter
