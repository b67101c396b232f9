// Tests for RunCommand (pulled `exec` sources) and ReadStatusFile (pulled
// `status_file` sources) with real programs (/bin/sh, head, cat, pwd) and
// real files: the body, every failure reason, the deadline, the output
// bound, the environment, the working directory, and that a run leaves no
// process and no zombie behind, grandchildren included.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapter/sources/exec_fetch.h"
#include "adapter/sources/status_file.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

ExecFetchOptions Shell(const std::string& script) {
  ExecFetchOptions options;
  options.command = {"/bin/sh", "-c", script};
  options.timeout = milliseconds(10000);
  return options;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

// Whether a process with this pid exists, zombies included.
bool ProcessExists(const std::string& pid) {
  return !pid.empty() && std::filesystem::exists("/proc/" + pid);
}

// The pids of every process whose process group is `pgid`, zombies included.
std::vector<std::string> GroupMembers(const std::string& pgid) {
  std::vector<std::string> members;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after ')'.
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state, ppid, pgrp;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid) members.push_back(entry.path().filename().string());
  }
  return members;
}

// While it lives, orphans of the commands run become this process's
// children, as they become the adapter's when it runs as PID 1 in its image.
class SubreaperScope {
 public:
  SubreaperScope() { REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0); }
  ~SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;
};

TEST_CASE("RunCommand: stdout is the body, exit 0 is ok") {
  std::string err;
  FetchResult r = RunCommand(Shell("printf 'requests 12\\nerrors 3\\n'"), &err);
  CHECK(r.ok);
  CHECK(r.reason.empty());
  CHECK(r.body == "requests 12\nerrors 3\n");
  CHECK(err.empty());
}

TEST_CASE("RunCommand: a program name is looked up on PATH; argv is passed as given") {
  ExecFetchOptions options;
  options.command = {"printf", "%s|%s", "a b", "$HOME"};
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.ok);
  CHECK(r.body == "a b|$HOME");  // no shell: nothing is split or expanded
}

TEST_CASE("RunCommand: a non-zero exit fails with reason exit and the start of stderr") {
  std::string err;
  FetchResult r = RunCommand(Shell("echo partial; echo 'no such table' >&2; exit 3"), &err);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "exit");
  CHECK(r.error == "\"/bin/sh\" exited with status 3: no such table");
  CHECK(r.body == "partial\n");
  CHECK(err == "no such table\n");
}

TEST_CASE("RunCommand: a command killed by a signal fails with reason signal") {
  FetchResult r = RunCommand(Shell("kill -SEGV $$"), nullptr);
  CHECK(r.reason == "signal");
  CHECK(r.error == "\"/bin/sh\" killed by SIGSEGV");
}

TEST_CASE("RunCommand: a program that cannot be started fails with reason spawn") {
  ExecFetchOptions options;
  options.command = {"metrics-adapter-no-such-program"};
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.reason == "spawn");
  CHECK(r.error == "cannot run \"metrics-adapter-no-such-program\": not found on PATH");

  options.command = {"/nonexistent/program"};
  r = RunCommand(options, nullptr);
  CHECK(r.reason == "spawn");
  CHECK(r.error == "cannot run \"/nonexistent/program\": No such file or directory");

  options = Shell("true");
  options.working_dir = "/nonexistent-dir";
  r = RunCommand(options, nullptr);
  CHECK(r.reason == "spawn");
  CHECK(r.error == "cannot run \"/bin/sh\" in \"/nonexistent-dir\": No such file or directory");

  options.command.clear();
  CHECK(RunCommand(options, nullptr).reason == "spawn");
}

TEST_CASE("RunCommand: a command that hangs is killed with its group at the timeout") {
  SubreaperScope subreaper;
  TempDir dir("exec-test");
  ExecFetchOptions options = Shell("echo $$ > " + dir / "pid" + "; sleep 60 & echo $! > " +
                                   dir / "grandchild" + "; echo started; wait");
  options.timeout = milliseconds(300);
  const auto start = Clock::now();
  FetchResult r = RunCommand(options, nullptr);
  const auto took = Clock::now() - start;
  CHECK(r.reason == "timeout");
  CHECK(r.error == "timeout after 300ms: \"/bin/sh\" (8 bytes of output)");
  CHECK(r.body == "started\n");
  // 60 s of sleep are not waited for: the margin is for a loaded machine.
  CHECK(took < std::chrono::seconds(10));
  const std::string pid = ReadWhole(dir / "pid");
  const std::string grandchild = ReadWhole(dir / "grandchild");
  REQUIRE_FALSE(pid.empty());
  REQUIRE_FALSE(grandchild.empty());
  // Gone, not zombies: both were reaped before RunCommand returned.
  CHECK_FALSE(ProcessExists(pid));
  CHECK_FALSE(ProcessExists(grandchild));
  CHECK(GroupMembers(pid).empty());
}

TEST_CASE("RunCommand: a command that exits leaves nothing of its group behind") {
  SubreaperScope subreaper;
  TempDir dir("exec-test");
  // The background sleep keeps stdout open after the shell exits; the run
  // must not wait for it, and must not leave it running.
  ExecFetchOptions options = Shell("echo $$ > " + dir / "pid" + "; sleep 60 & echo $! > " +
                                   dir / "grandchild" + "; echo 'value 1'");
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.ok);
  CHECK(r.body == "value 1\n");
  const std::string pid = ReadWhole(dir / "pid");
  const std::string grandchild = ReadWhole(dir / "grandchild");
  CHECK_FALSE(ProcessExists(pid));
  CHECK_FALSE(ProcessExists(grandchild));
  CHECK(GroupMembers(pid).empty());
}

TEST_CASE("RunCommand: output past max_body_bytes stops the read and kills the command") {
  SubreaperScope subreaper;
  TempDir dir("exec-test");
  // 100 MiB, and then a sleep that would outlast the test if not killed.
  ExecFetchOptions options =
      Shell("echo $$ > " + dir / "pid" + "; head -c 104857600 /dev/zero; sleep 60");
  options.max_body_bytes = 1 << 20;
  FetchResult r = RunCommand(options, nullptr);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "too_large");
  CHECK(r.truncated);
  CHECK(r.error == "\"/bin/sh\": output over 1048576 bytes");
  CHECK(r.body.size() == std::size_t{1} << 20);
  // The read stopped at the bound: memory is the bound and one chunk at most.
  CHECK(r.body.capacity() <= (std::size_t{2} << 20) + (std::size_t{64} << 10));
  const std::string pid = ReadWhole(dir / "pid");
  CHECK_FALSE(ProcessExists(pid));
  CHECK(GroupMembers(pid).empty());
}

TEST_CASE("RunCommand: stderr is read and bounded without blocking the command") {
  std::string err;
  // 1 MiB on stderr would fill the 64 KiB pipe if nobody read it.
  FetchResult r = RunCommand(Shell("head -c 1048576 /dev/zero | tr '\\0' x >&2; echo done"), &err);
  CHECK(r.ok);
  CHECK(r.body == "done\n");
  CHECK(err.size() == kMaxStderrKept);
}

TEST_CASE("RunCommand: a command that writes to stderr without pause is stopped at the timeout") {
  std::string err;
  ExecFetchOptions options = Shell("exec yes 'log line' >&2");
  options.timeout = milliseconds(300);
  const auto start = Clock::now();
  FetchResult r = RunCommand(options, &err);
  CHECK(r.reason == "timeout");
  CHECK(Clock::now() - start < std::chrono::seconds(10));
  CHECK(err.size() == kMaxStderrKept);
}

TEST_CASE("RunCommand: env adds and replaces variables over the inherited environment") {
  REQUIRE(setenv("METRICS_ADAPTER_EXEC_TEST_KEPT", "inherited", 1) == 0);
  REQUIRE(setenv("METRICS_ADAPTER_EXEC_TEST_REPLACED", "old", 1) == 0);
  ExecFetchOptions options = Shell(
      "printf '%s %s %s' \"$METRICS_ADAPTER_EXEC_TEST_KEPT\" "
      "\"$METRICS_ADAPTER_EXEC_TEST_REPLACED\" \"$METRICS_ADAPTER_EXEC_TEST_ADDED\"");
  options.env = {{"METRICS_ADAPTER_EXEC_TEST_REPLACED", "new"},
                 {"METRICS_ADAPTER_EXEC_TEST_ADDED", "a=b c"}};
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.ok);
  CHECK(r.body == "inherited new a=b c");
  unsetenv("METRICS_ADAPTER_EXEC_TEST_KEPT");
  unsetenv("METRICS_ADAPTER_EXEC_TEST_REPLACED");
}

TEST_CASE("RunCommand: a PATH in env is where the program is looked up") {
  TempDir dir("exec-test");
  const std::string tool = dir.Write("bin/status-tool", "#!/bin/sh\necho 'from the tool'\n");
  REQUIRE(chmod(tool.c_str(), 0755) == 0);
  ExecFetchOptions options;
  options.command = {"status-tool"};
  options.env = {{"PATH", "/nonexistent:" + dir / "bin"}};
  CHECK(FindProgram("status-tool", CommandPath(options)) == tool);
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.ok);
  CHECK(r.body == "from the tool\n");
}

TEST_CASE("RunCommand: working_dir, stdin /dev/null and no inherited descriptor") {
  TempDir dir("exec-test");
  ExecFetchOptions options;
  options.command = {"pwd"};
  options.working_dir = dir.path();
  CHECK(RunCommand(options, nullptr).body == dir.path() + "\n");

  options = Shell("cat; echo end");  // would wait forever on a terminal or an open pipe
  FetchResult r = RunCommand(options, nullptr);
  CHECK(r.ok);
  CHECK(r.body == "end\n");

  const int fd = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  REQUIRE(fd >= 0);
  REQUIRE(dup2(fd, 100) == 100);
  r = RunCommand(Shell("[ -e /proc/$$/fd/100 ] && echo leaked || echo closed"), nullptr);
  close(100);
  close(fd);
  CHECK(r.body == "closed\n");
}

TEST_CASE("FindProgram: absolute paths as given, names on PATH, empty when missing") {
  CHECK(FindProgram("/no/such", "/bin") == "/no/such");
  CHECK(FindProgram("sh", "/nonexistent:/bin") == "/bin/sh");
  CHECK(FindProgram("sh", "/nonexistent") == "");
  CHECK(FindProgram("", "/bin") == "");
  // Relative entries are skipped, even where they would find it.
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path("/bin");
  CHECK(FindProgram("sh", ".::bin") == "");
  std::filesystem::current_path("/");
  CHECK(FindProgram("sh", "bin:/bin") == "/bin/sh");
  std::filesystem::current_path(cwd);
}

TEST_CASE("ReadStatusFile: the whole file, read again at each call") {
  TempDir dir("status-file-test");
  StatusFileOptions options;
  options.path = dir.Write("status.json", "{\"requests\": 1}");
  FetchResult r = ReadStatusFile(options);
  CHECK(r.ok);
  CHECK(r.body == "{\"requests\": 1}");
  dir.Write("status.json", "{\"requests\": 22}");
  CHECK(ReadStatusFile(options).body == "{\"requests\": 22}");
  dir.Write("status.json", "");
  r = ReadStatusFile(options);
  CHECK(r.ok);
  CHECK(r.body.empty());
}

TEST_CASE("ReadStatusFile: missing, unreadable and too large") {
  TempDir dir("status-file-test");
  StatusFileOptions options;
  options.path = dir / "absent.json";
  FetchResult r = ReadStatusFile(options);
  CHECK(r.reason == "missing");
  CHECK(r.error == "open \"" + options.path + "\": No such file or directory");

  options.path = dir.path();
  r = ReadStatusFile(options);
  CHECK(r.reason == "read");
  CHECK(r.error == "\"" + dir.path() + "\" is not a regular file");

  options.path = dir / "fifo";
  REQUIRE(mkfifo(options.path.c_str(), 0600) == 0);
  CHECK(ReadStatusFile(options).reason == "read");  // and it did not block

  options.path = dir.Write("big", std::string(1000, 'x'));
  options.max_body_bytes = 999;
  r = ReadStatusFile(options);
  CHECK(r.reason == "too_large");
  CHECK(r.truncated);
  CHECK(r.body.size() == 999);
  options.max_body_bytes = 1000;
  CHECK(ReadStatusFile(options).ok);
}

}  // namespace
}  // namespace metrics_adapter
