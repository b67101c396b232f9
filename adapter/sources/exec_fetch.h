// Pulled `exec` sources: a status command run at scrape time (`varnishstat
// -j`, `mariadb -e 'SHOW GLOBAL STATUS'`), its standard output being the body
// the source's parser reads. There is no shell: the command is an argv.
//
// The child is started with posix_spawn (safe in a multi-threaded process) in
// a process group of its own, with stdin on /dev/null, an empty signal mask
// and default signal dispositions, and no descriptor of the adapter but
// stdout and stderr, which are pipes read with poll() under one deadline.
// When the child has exited, or the deadline passed, or stdout outgrew its
// bound, the whole process group gets SIGKILL and every member that is the
// adapter's to reap (the child; its own children when the adapter is PID 1,
// as in the image) is reaped before RunCommand returns: a command leaves no
// process and no zombie behind. A process that left the group (setsid, a
// daemonizing command) is out of reach and not the adapter's concern.
//
// Usage:
//   ExecFetchOptions varnish;
//   varnish.command = {"varnishstat", "-j"};
//   std::string stderr_head;
//   FetchResult r = RunCommand(varnish, &stderr_head);
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "adapter/sources/fetch.h"

namespace metrics_adapter {

struct ExecFetchOptions {
  // argv. command[0] is an absolute path, or a name without '/' looked up
  // in the absolute directories of PATH (that of `env` if it sets one, else the
  // adapter's) at each run.
  std::vector<std::string> command;
  // Variables set for the command on top of the adapter's own environment,
  // which it inherits; a name given here replaces the inherited value.
  std::vector<std::pair<std::string, std::string>> env;
  // The command's working directory; empty: the adapter's.
  std::string working_dir;
  // For the whole run: start, output, exit.
  std::chrono::milliseconds timeout{2000};
  // Standard output beyond this many bytes fails the run ("too_large").
  std::size_t max_body_bytes = 10 << 20;
};

// The most of the command's stderr kept (for logs); the rest is read and
// dropped so that the command never blocks on a full pipe.
inline constexpr std::size_t kMaxStderrKept = 4096;

// Runs the command once; the body is its standard output. ok when it exited
// with status 0 within the timeout and its output fit. Otherwise reason is
// one of "spawn" (it could not be started: program not found or not
// executable, working_dir missing), "exit" (non-zero status), "signal"
// (killed by a signal not sent by the adapter), "timeout", "too_large".
// `stderr_head` receives the first kMaxStderrKept bytes of stderr (may be
// null). Returns no later than the timeout, plus the time the kernel takes
// to end the killed processes. Thread-safe.
FetchResult RunCommand(const ExecFetchOptions& options, std::string* stderr_head);

// The program `name` resolves to: `name` itself when it contains '/', else
// the first executable regular file `dir/name` for the absolute directories
// of `path_value` (a PATH, ':'-separated; relative and empty entries, which
// would depend on a working directory, are skipped). Empty when none is
// found.
std::string FindProgram(const std::string& name, const std::string& path_value);

// The PATH a command of `options` is looked up in: its env's, else the
// adapter's, else "/usr/local/bin:/usr/bin:/bin".
std::string CommandPath(const ExecFetchOptions& options);

}  // namespace metrics_adapter
