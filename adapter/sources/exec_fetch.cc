#include "adapter/sources/exec_fetch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>  // sigabbrev_np
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "adapter/base/strings.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage, so the
// system call is made directly. -1 and errno on failure.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// A file descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A pipe whose read end is non-blocking (for poll) and whose write end stays
// blocking (for the child). Both are close-on-exec: the child gets its ends
// through dup2, which clears the flag on the copy. Returns 0 or errno.
int MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno;
  Fd r(fds[0]);
  Fd w(fds[1]);
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) return errno;
  *read_end = std::move(r);
  *write_end = std::move(w);
  return 0;
}

// The adapter's environment with options.env replacing or adding variables.
std::vector<std::string> CommandEnvironment(const ExecFetchOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(options.env.begin(), options.env.end(),
                                      [&](const auto& kv) { return kv.first == name; });
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [name, value] : options.env) {
    std::string entry = name;
    entry += '=';
    entry += value;
    env.push_back(std::move(entry));
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts `program` with the argv and environment of `options` in a new
// process group: stdin /dev/null, stdout and stderr the given pipe ends, no
// other descriptor. Returns 0 and sets *pid, or an errno (the program or the
// working directory could not be used: glibc reports exec failures too).
int Spawn(const std::string& program, const ExecFetchOptions& options, int out, int err,
          pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The adapter blocks its shutdown signals in every thread and may ignore
  // SIGPIPE; the command starts as from a shell, with neither.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);
  std::vector<std::string> argv_strings = options.command;
  std::vector<std::string> env_strings = CommandEnvironment(options);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  const int rc = posix_spawn(pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// One run's output: the child's pipes and its pidfd, read under the deadline.
class Output {
 public:
  enum class End { kExited, kTimeout, kTooLarge };

  Output(pid_t pid, Clock::time_point deadline, std::size_t max_body_bytes, FetchResult* result,
         std::string* stderr_head)
      : pid_(pid),
        deadline_(deadline),
        max_body_bytes_(max_body_bytes),
        result_(result),
        stderr_head_(stderr_head) {}

  // Reads stdout and stderr until both are closed and the child has exited,
  // the deadline passes or stdout outgrows its bound. When the child exits,
  // its group is killed, so that a leftover process holding the pipes open
  // cannot keep the run waiting. The deadline is checked at every turn, so
  // a command that writes without pause is still stopped by it.
  End Pump(int out, int err, int pidfd) {
    pollfd fds[3] = {{out, POLLIN, 0}, {err, POLLIN, 0}, {pidfd, POLLIN, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0 || fds[2].fd >= 0) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return End::kTimeout;
      const int rc = poll(fds, 3, static_cast<int>(left.count()));
      if (rc < 0 && errno != EINTR) return End::kTimeout;  // cannot happen with valid fds
      if (rc <= 0) continue;
      if (fds[2].revents != 0) {
        fds[2].fd = -1;
        kill(-pid_, SIGKILL);
      }
      if (fds[0].revents != 0 && !ReadOnce(&fds[0].fd, true)) return End::kTooLarge;
      if (fds[1].revents != 0) ReadOnce(&fds[1].fd, false);
    }
    return End::kExited;
  }

 private:
  // One read of `*fd`, which poll() found ready; sets *fd to -1 at its end.
  // Returns false when stdout went past max_body_bytes (the body keeps the
  // first that many). stderr beyond kMaxStderrKept is read and dropped.
  bool ReadOnce(int* fd, bool is_stdout) {
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
    const ssize_t n = read(*fd, buffer_.get(), kReadChunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) {
      *fd = -1;  // end of file, or an error that ends it alike
      return true;
    }
    const std::string_view data(buffer_.get(), static_cast<std::size_t>(n));
    if (!is_stdout) {
      if (stderr_head_ != nullptr && stderr_head_->size() < kMaxStderrKept) {
        stderr_head_->append(data.substr(0, kMaxStderrKept - stderr_head_->size()));
      }
      return true;
    }
    return result_->AppendBody(data, max_body_bytes_);
  }

  pid_t pid_;
  Clock::time_point deadline_;
  std::size_t max_body_bytes_;
  FetchResult* result_;
  std::string* stderr_head_;
  std::unique_ptr<char[]> buffer_;  // on the heap: scrape threads' stacks may be small
};

// Kills the child's process group and reaps the child, then every member of
// the group that is the adapter's child by now (its orphans, when the
// adapter is PID 1). Returns the child's wait status. The group id stays the
// child's pid until the child is reaped, so the kill cannot reach a stranger.
int KillAndReap(pid_t pid) {
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int other = 0;
  while (waitpid(-pid, &other, 0) > 0 || errno == EINTR) {
  }
  return status;
}

std::string Describe(const ExecFetchOptions& options) { return Quoted(options.command.front()); }

void SetOutcome(const ExecFetchOptions& options, Output::End end, int status, FetchResult* result,
                const std::string& stderr_head) {
  const std::string what = Describe(options);
  const std::string detail = stderr_head.empty() ? "" : ": " + Printable(stderr_head, 200);
  switch (end) {
    case Output::End::kTimeout:
      result->Fail("timeout", "timeout after " + FormatTimeout(options.timeout) + ": " + what +
                                  " (" + std::to_string(result->body.size()) + " bytes of output)");
      return;
    case Output::End::kTooLarge:
      result->truncated = true;
      result->Fail("too_large",
                   what + ": output over " + std::to_string(options.max_body_bytes) + " bytes");
      return;
    case Output::End::kExited:
      break;
  }
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    result->Fail("signal", what + " killed by " +
                               (name != nullptr ? std::string("SIG") + name
                                                : "signal " + std::to_string(WTERMSIG(status))) +
                               detail);
  } else if (WEXITSTATUS(status) != 0) {
    result->Fail("exit",
                 what + " exited with status " + std::to_string(WEXITSTATUS(status)) + detail);
  } else {
    result->ok = true;
  }
}

}  // namespace

std::string CommandPath(const ExecFetchOptions& options) {
  for (const auto& [name, value] : options.env) {
    if (name == "PATH") return value;
  }
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): never set
  return path != nullptr ? path : kDefaultPath;
}

std::string FindProgram(const std::string& name, const std::string& path_value) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return name;
  std::string_view rest = path_value;
  while (true) {
    const std::size_t colon = rest.find(':');
    std::string candidate(rest.substr(0, colon));
    // Relative entries (".", or empty) would depend on the working
    // directory, the adapter's or the command's: they are skipped.
    if (candidate.starts_with('/')) {
      candidate += '/';
      candidate += name;
      struct stat st {};
      if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    if (colon == std::string_view::npos) return "";
    rest.remove_prefix(colon + 1);
  }
}

FetchResult RunCommand(const ExecFetchOptions& options, std::string* stderr_head) {
  FetchResult result;
  std::string err_text;
  if (options.command.empty() || options.command.front().empty()) {
    result.Fail("spawn", "empty command");
    return result;
  }
  const Clock::time_point deadline = Clock::now() + options.timeout;
  const std::string program = FindProgram(options.command.front(), CommandPath(options));
  if (program.empty()) {
    result.Fail("spawn", "cannot run " + Describe(options) + ": not found on PATH");
    return result;
  }
  Fd out_r, out_w, err_r, err_w;
  pid_t pid = 0;
  int rc = MakePipe(&out_r, &out_w);
  if (rc == 0) rc = MakePipe(&err_r, &err_w);
  if (rc == 0) rc = Spawn(program, options, out_w.get(), err_w.get(), &pid);
  if (rc != 0) {
    result.Fail("spawn",
                "cannot run " + Quoted(program) +
                    (options.working_dir.empty() ? "" : " in " + Quoted(options.working_dir)) +
                    ": " + ErrnoText(rc));
    return result;
  }
  out_w.Reset();  // the child's copies are the only write ends: EOF when it is done
  err_w.Reset();
  const Fd pidfd(PidfdOpen(pid));
  if (pidfd.get() < 0) {
    // A kernel before 5.3: the exit cannot be waited for under the deadline.
    const int error = errno;
    KillAndReap(pid);
    result.Fail("spawn", "pidfd_open: " + ErrnoText(error));
    return result;
  }
  Output output(pid, deadline, options.max_body_bytes, &result, &err_text);
  const Output::End end = output.Pump(out_r.get(), err_r.get(), pidfd.get());
  const int status = KillAndReap(pid);
  SetOutcome(options, end, status, &result, err_text);
  if (stderr_head != nullptr) *stderr_head = std::move(err_text);
  return result;
}

}  // namespace metrics_adapter
