// log_writer: a real writer process for the tailer hazard tests. It appends
// numbered lines to a file and rotates it the way loggers and logrotate do.
//
//   log_writer --path P --lines N [--rotate-every K] [--mode M] [--partial]
//              [--tag T] [--late-lines L] [--keep-copies] [--unlink-at-end]
//              [--sync-file F --sync opened|caughtup] [--pause-us U]
//
// Line n (from 0) is "line NNNNNN T " followed by (n*7)%50 copies of the
// letter 'a'+n%26, then '\n': numbered, tagged, of varying length.
//
// Modes, applied after every K lines:
//   rename        rename P -> P.1 (or, with --keep-copies, shift P.i -> P.i+1
//                 first, as logrotate does), then open a new P;
//   copytruncate  copy P to P.1 (or P.<k> with --keep-copies), truncate P;
//   recreate      unlink P, then create a new P;
//   none          never rotate.
// --late-lines L: after rename/recreate, write L more lines to the old file
//   before switching, like a logger that reopens on a signal a bit later.
// --partial: write each line in two write(2)s with a short pause between.
// --sync-file F: before each rotation (and before --unlink-at-end), wait
//   until F holds a number >= a threshold; the test keeps F updated with the
//   number of lines its tailer has seen. `opened`: the first line of the
//   current file has been seen, so the tailer holds the file open;
//   `caughtup`: every line written so far has been seen.
//
// Exit status: 0 done, 1 system call failed, 2 usage, 3 sync timed out.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

struct Args {
  std::string path;
  long lines = 0;
  long rotate_every = 0;
  std::string mode = "none";
  bool partial = false;
  std::string tag = "w";
  long late_lines = 0;
  bool keep_copies = false;
  bool unlink_at_end = false;
  std::string sync_file;
  std::string sync = "opened";
  long pause_us = 50;
  long sync_timeout_ms = 20000;
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "log_writer: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void Usage(const char* problem) {
  std::fprintf(stderr,
               "log_writer: %s\nusage: log_writer --path P --lines N [--rotate-every K] "
               "[--mode rename|copytruncate|recreate|none] [--partial] [--tag T] "
               "[--late-lines L] [--keep-copies] [--unlink-at-end] "
               "[--sync-file F --sync opened|caughtup] [--pause-us U]\n",
               problem);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage("missing value");
      return argv[++i];
    };
    if (flag == "--path") {
      args.path = value();
    } else if (flag == "--lines") {
      args.lines = std::atol(value());
    } else if (flag == "--rotate-every") {
      args.rotate_every = std::atol(value());
    } else if (flag == "--mode") {
      args.mode = value();
    } else if (flag == "--partial") {
      args.partial = true;
    } else if (flag == "--tag") {
      args.tag = value();
    } else if (flag == "--late-lines") {
      args.late_lines = std::atol(value());
    } else if (flag == "--keep-copies") {
      args.keep_copies = true;
    } else if (flag == "--unlink-at-end") {
      args.unlink_at_end = true;
    } else if (flag == "--sync-file") {
      args.sync_file = value();
    } else if (flag == "--sync") {
      args.sync = value();
    } else if (flag == "--pause-us") {
      args.pause_us = std::atol(value());
    } else if (flag == "--sync-timeout-ms") {
      args.sync_timeout_ms = std::atol(value());
    } else {
      Usage("unknown flag");
    }
  }
  if (args.path.empty() || args.lines < 0) Usage("--path and --lines are required");
  if (args.mode != "rename" && args.mode != "copytruncate" && args.mode != "recreate" &&
      args.mode != "none") {
    Usage("bad --mode");
  }
  if (args.sync != "opened" && args.sync != "caughtup") Usage("bad --sync");
  return args;
}

std::string Line(long n, const std::string& tag) {
  char head[32];
  std::snprintf(head, sizeof(head), "line %06ld ", n);
  std::string line = head + tag + " ";
  line.append(static_cast<std::size_t>((n * 7) % 50), static_cast<char>('a' + n % 26));
  line += '\n';
  return line;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

class Writer {
 public:
  explicit Writer(Args args) : args_(std::move(args)) { Open(); }

  void Run() {
    for (long n = 0; n < args_.lines;) {
      Emit(n++);
      const bool more = n < args_.lines;
      if (more && args_.rotate_every > 0 && n % args_.rotate_every == 0) {
        n = Rotate(n);
      }
    }
    if (args_.unlink_at_end) {
      WaitForTailer(written_);
      if (unlink(args_.path.c_str()) != 0) Fail("unlink");
    }
    close(fd_);
  }

 private:
  void Open() {
    fd_ = open(args_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) Fail("open " + args_.path);
    file_first_line_ = written_;
  }

  void Emit(long n) {
    const std::string line = Line(n, args_.tag);
    if (args_.partial) {
      const std::size_t half = line.size() / 2;
      WriteAll(fd_, std::string_view(line).substr(0, half));
      std::this_thread::sleep_for(std::chrono::microseconds(args_.pause_us));
      WriteAll(fd_, std::string_view(line).substr(half));
    } else {
      WriteAll(fd_, line);
    }
    ++written_;
  }

  // Rotates after line n-1; returns the next line number (late lines count).
  long Rotate(long n) {
    WaitForTailer(written_);
    ++rotations_;
    if (args_.mode == "rename") {
      if (args_.keep_copies) ShiftCopies();
      if (rename(args_.path.c_str(), (args_.path + ".1").c_str()) != 0) Fail("rename");
      n = WriteLate(n);
      close(fd_);
      Open();
    } else if (args_.mode == "recreate") {
      if (unlink(args_.path.c_str()) != 0) Fail("unlink");
      n = WriteLate(n);
      close(fd_);
      Open();
    } else if (args_.mode == "copytruncate") {
      const std::string copy =
          args_.path + "." + (args_.keep_copies ? std::to_string(rotations_) : "1");
      CopyFile(args_.path, copy);
      if (truncate(args_.path.c_str(), 0) != 0) Fail("truncate");
      // O_APPEND: the next write lands at the new end, offset 0.
      file_first_line_ = written_;
    }
    return n;
  }

  long WriteLate(long n) {
    for (long i = 0; i < args_.late_lines && n < args_.lines; ++i) Emit(n++);
    return n;
  }

  // P.i -> P.i+1 for every existing copy, newest last, like logrotate.
  void ShiftCopies() {
    for (long i = rotations_; i >= 1; --i) {
      const std::string from = args_.path + "." + std::to_string(i);
      const std::string to = args_.path + "." + std::to_string(i + 1);
      if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) Fail("rename " + from);
    }
  }

  static void CopyFile(const std::string& from, const std::string& to) {
    const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) Fail("open " + from);
    const int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) Fail("open " + to);
    char buf[65536];
    while (true) {
      const ssize_t n = read(in, buf, sizeof(buf));
      if (n < 0) Fail("read " + from);
      if (n == 0) break;
      WriteAll(out, std::string_view(buf, static_cast<std::size_t>(n)));
    }
    close(in);
    close(out);
  }

  // Blocks until the test says its tailer is far enough; see --sync.
  void WaitForTailer(long written) {
    if (args_.sync_file.empty()) return;
    const long threshold = args_.sync == "caughtup" ? written : file_first_line_ + 1;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(args_.sync_timeout_ms);
    while (ReadSyncFile() < threshold) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "log_writer: sync timed out waiting for %ld (have %ld)\n", threshold,
                     ReadSyncFile());
        std::exit(3);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  long ReadSyncFile() const {
    const int fd = open(args_.sync_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[32] = {};
    const ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? std::atol(buf) : 0;
  }

  Args args_;
  int fd_ = -1;
  long written_ = 0;          // lines written so far
  long file_first_line_ = 0;  // number of the first line in the current file
  long rotations_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Writer writer(Parse(argc, argv));
  writer.Run();
  return 0;
}
