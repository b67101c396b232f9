#include "adapter/base/bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

std::string OverLimit(std::size_t size_text_bytes, bool at_least, std::size_t max_bytes) {
  return std::string("file is ") + (at_least ? "more than " : "") +
         std::to_string(size_text_bytes) + " bytes, over the limit of " + ByteSizeText(max_bytes);
}

}  // namespace

std::string ByteSizeText(std::size_t bytes) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string ReadBoundedFile(const std::string& path, std::size_t max_bytes, std::string* content) {
  content->clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read file: " + ErrnoText(errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return "cannot read file: " + ErrnoText(err);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return "cannot read file: " + ErrnoText(EISDIR);
  }
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
    close(fd);
    return OverLimit(static_cast<std::size_t>(st.st_size), false, max_bytes);
  }
  // The size is a hint only: the file may grow while it is read, and other
  // kinds of file have none. The read stops one byte past the limit.
  std::size_t capacity =
      S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : std::size_t{64} << 10;
  content->resize(std::min(capacity, max_bytes + 1));
  std::size_t got = 0;
  while (got <= max_bytes) {
    if (got == content->size()) content->resize(std::min(content->size() * 2, max_bytes + 1));
    const ssize_t n = read(fd, content->data() + got, content->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      content->clear();
      return "cannot read file: " + ErrnoText(err);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  if (got > max_bytes) {
    content->clear();
    content->shrink_to_fit();
    return OverLimit(max_bytes, true, max_bytes);
  }
  content->resize(got);
  return "";
}

}  // namespace metrics_adapter
