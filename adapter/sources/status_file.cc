#include "adapter/sources/status_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

std::string Errno(int err) { return std::error_code(err, std::generic_category()).message(); }

// Appends the rest of `fd` to result->body, at most max + 1 bytes in all (the
// one more tells that the file is over the bound). Returns 0 or errno.
int ReadAll(int fd, std::size_t max, FetchResult* result) {
  while (result->body.size() <= max) {
    const std::size_t old_size = result->body.size();
    const std::size_t want = std::min<std::size_t>(max + 1 - old_size, std::size_t{64} * 1024);
    result->body.resize(old_size + want);
    const ssize_t n = read(fd, result->body.data() + old_size, want);
    result->body.resize(old_size + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
  }
  return 0;
}

}  // namespace

FetchResult ReadStatusFile(const StatusFileOptions& options) {
  FetchResult result;
  const std::string what = Quoted(options.path);
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = open(options.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    result.Fail(err == ENOENT || err == ENOTDIR ? "missing" : "read",
                "open " + what + ": " + Errno(err));
    return result;
  }
  struct stat st {};
  int err = fstat(fd, &st) != 0 ? errno : 0;
  if (err == 0 && !S_ISREG(st.st_mode)) {
    close(fd);
    result.Fail("read", what + " is not a regular file");
    return result;
  }
  if (err == 0) {
    result.body.reserve(
        std::min<std::size_t>(static_cast<std::size_t>(st.st_size), options.max_body_bytes) + 1);
    err = ReadAll(fd, options.max_body_bytes, &result);
  }
  close(fd);
  if (err != 0) {
    result.Fail("read", "read " + what + ": " + Errno(err));
  } else if (result.body.size() > options.max_body_bytes) {
    result.body.resize(options.max_body_bytes);
    result.FailTooLarge(options.max_body_bytes);
  } else {
    result.ok = true;
  }
  return result;
}

}  // namespace metrics_adapter
