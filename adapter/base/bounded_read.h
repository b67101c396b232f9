// Reading a user's whole file into memory, bounded: the config, rule, schema
// and positions files are read whole (YAML needs the whole text), so a file
// that is far too large — a log named as the config by mistake, a runaway
// generator — must be refused before it is read, not after it filled the
// pod's memory limit.
//
// Usage:
//   std::string text;
//   if (std::string error = ReadBoundedFile(path, kMaxConfigFileBytes, &text); !error.empty()) {
//     diags.Error({path, 0, 0}, error);  // "file is 104857600 bytes, over the 16 MiB limit ..."
//   }
#pragma once

#include <cstddef>
#include <string>

namespace metrics_adapter {

// The largest config, rule, schema or positions file the adapter reads: 16 MiB.
// The largest shipped rule file is a few KiB; a positions file holds about 200
// bytes per followed file.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;

// Reads all of `path` into *content. Returns "" on success, else why not, with
// *content cleared: "cannot read file: <errno text>", or, when the file is
// larger than `max_bytes`, "file is N bytes, over the limit of M bytes". A
// regular file's size is checked with fstat(2) before a byte is read; any
// other file (a pipe, /dev/stdin) is read up to max_bytes + 1 bytes at most.
// Blocks on a FIFO until a writer opens it, as reading a FIFO does.
std::string ReadBoundedFile(const std::string& path, std::size_t max_bytes, std::string* content);

// "16 MiB" for 16 << 20; bytes otherwise. For messages naming a limit.
std::string ByteSizeText(std::size_t bytes);

}  // namespace metrics_adapter
