#!/usr/bin/env bash
# Speed benchmark: streamed lines parsed and matched on 1 and 2 threads (--pipeline.threads).
#
# On a reproducible nginx access log (gen_access_log, the rules of compare_mtail.sh), prints
#   - `once`: lines/s wall and CPU with 1 and 2 threads, best of --runs by wall time, and the CPU
#     time of the source's thread and of the helpers (see once_run); the two expositions must be
#     identical (the last-read timestamp aside), or the script exits 1;
#   - tailing (`run`, the release binary serving on 127.0.0.1): a writer appends the log at
#     --rate lines/s (in 10 ms steps, each one write() of the pre-generated log's bytes); the
#     lag, sampled every 20 ms as lines written but not yet counted
#     (metrics_adapter_lines_read_total) over the rate, p50/p99/max, and the time from the last
#     write until every line is counted; then the same at 10k lines/s;
#   - idle RSS and idle CPU (5 s with nothing written) and startup to ready (/readyz).
# It never fails on speed. The machine's load average is printed: on a shared machine the
# wall figures are noisy, the CPU figures less so.
#
# Usage: JOBS=1 test/bench/threads.sh [--lines N] [--rate N] [--runs N] [--build-dir DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
lines=2000000 rate=1000000 runs=3 build_dir=$root/build/release
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath "$2"); shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
"$root/scripts/deps.sh" --require python3 /usr/bin/time || exit 2
(cd "$root" && JOBS=${JOBS:-1} scripts/build.sh release metrics-adapter gen_access_log >&2)
adapter=$build_dir/metrics-adapter

tmp=$(mktemp -d "${TMPDIR:-/tmp}/threads_bench.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/test/bench/gen_access_log" --lines "$lines" --seed 1 >"$tmp/access.log"
rules=$root/rules/library/nginx/combined_request_time.yaml
cat >"$tmp/once.yaml" <<YAML
sources:
  - {name: access, type: file, paths: ["$tmp/access.log"], from_beginning: true, parser: line, rules: ["$rules"]}
YAML
cat >"$tmp/run.yaml" <<YAML
sources:
  - {name: access, type: file, paths: ["$tmp/tailed.log"], parser: line, rules: ["$rules"]}
YAML

# --- once ----------------------------------------------------------------------------------
# Runs `once` and prints its figures: wall, CPU (user+sys, of the whole process: wait4), peak RSS,
# and the CPU of the source's thread (the main thread in `once`) and of the helpers, from
# /proc/PID/task/*/stat sampled every 10 ms until the process exits (clock ticks: 10 ms steps).
# The source's thread is on the critical path all along (it reads, frames, matches its share,
# waits for the last slice), so its CPU time is about the wall time the run would take on two
# otherwise idle cores; the helpers' CPU is what the second core took over.
once_run() {
  python3 - "$adapter" "$tmp/once.yaml" "$1" "$tmp/once$1.prom" "$tmp/run$1" <<'PY'
import os, subprocess, sys, time
adapter, cfg, threads, out, result = sys.argv[1:6]
tick = os.sysconf("SC_CLK_TCK")
start = time.monotonic()
with open(out, "wb") as f:
    proc = subprocess.Popen([adapter, "once", "--pipeline.threads=" + threads, "--config.file=" + cfg],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    cpu = {}
    def sample():
        try:
            for tid in os.listdir("/proc/%d/task" % proc.pid):
                with open("/proc/%d/task/%s/stat" % (proc.pid, tid)) as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                cpu[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass  # exiting
    import threading
    done = threading.Event()
    def poll():
        while not done.is_set():
            sample()
            time.sleep(0.01)
    poller = threading.Thread(target=poll)
    poller.start()
    for line in proc.stdout:
        if not line.startswith(b"metrics_adapter_source_last_read"):
            f.write(line)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    done.set()
    poller.join()
source = cpu.get(proc.pid, 0.0)
helpers = sum(v for k, v in cpu.items() if k != proc.pid)
with open(result, "w") as f:
    f.write("%f %f %f %f %f\n" % (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, source, helpers))
PY
}
printf '%-8s %10s %7s %7s %12s %12s %8s %9s %9s %14s\n' mode lines "wall s" "CPU s" "lines/s wall" "lines/s CPU" "RSS MiB" \
  "source s" "helpers s" "lines/s source"
for threads in 1 2; do
  best=
  for ((r = 0; r < runs; r++)); do
    once_run "$threads"
    read -r wall cpu rss source helpers <"$tmp/run$threads"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $wall < ${best%% *})"; then
      best="$wall $cpu $rss $source $helpers"
    fi
  done
  read -r wall cpu rss source helpers <<<"$best"
  python3 -c "
w, c, s = $wall, $cpu, max($source, 0.01)
print('%-8s %10d %7.2f %7.2f %12.0f %12.0f %8.1f %9.2f %9.2f %14.0f' % ('once/$threads', $lines, w, c, $lines / w,
      $lines / c, $rss, $source, $helpers, $lines / s))"
done
if ! cmp -s "$tmp/once1.prom" "$tmp/once2.prom"; then
  echo "error: the expositions of 1 and 2 threads differ:" >&2
  diff "$tmp/once1.prom" "$tmp/once2.prom" | head -20 >&2
  exit 1
fi
echo "expositions of 1 and 2 threads: identical"

# --- run: startup, idle, tailing -----------------------------------------------------------
tail_bench() {
  local threads=$1 port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  : >"$tmp/tailed.log"
  python3 - "$adapter" "$tmp/run.yaml" "$port" "$threads" "$tmp/access.log" "$tmp/tailed.log" "$rate" <<'PY'
import os, re, subprocess, sys, threading, time, urllib.request
adapter, cfg, port, threads, src, dst, rate = sys.argv[1:8]
port, rate = int(port), int(rate)
url = "http://127.0.0.1:%d" % port
start = time.monotonic()
proc = subprocess.Popen([adapter, "run", "--config.file=" + cfg, "--web.listen-address=127.0.0.1:%d" % port,
                         "--pipeline.threads=" + threads, "--log.level=warn"])
try:
    ready = None
    for _ in range(1000):
        try:
            if urllib.request.urlopen(url + "/readyz", timeout=1).status == 200:
                ready = time.monotonic() - start
                break
        except Exception:
            time.sleep(0.002)
    if ready is None:
        sys.exit("adapter not ready")
    def read_lines():
        body = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        m = re.search(r'^metrics_adapter_lines_read_total\{source="access"\} (\S+)$', body, re.M)
        return int(float(m.group(1))) if m else 0
    def cpu_rss():
        with open("/proc/%d/stat" % proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open("/proc/%d/status" % proc.pid) as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024
        return cpu, rss
    time.sleep(1)
    cpu0, _ = cpu_rss()
    time.sleep(5)
    cpu1, rss = cpu_rss()
    print("run/%s   startup to ready %.1f ms, idle RSS %.1f MiB, idle CPU %.2f%% (5 s)" %
          (threads, ready * 1000, rss, (cpu1 - cpu0) / 5 * 100))
    with open(src, "rb") as f:
        data = f.read()
    offsets = [0]
    pos = data.find(b"\n")
    while pos >= 0:
        offsets.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    def paced(rate, total):
        """Writes `total` lines (at most the log's) at `rate` lines/s; a second thread
        samples the lag every 20 ms, so that scrapes never slow the writer."""
        base = read_lines()
        step = max(1, rate // 100)
        state = {"written": 0, "writing": True}
        lags = []
        def sample():
            while state["writing"]:
                written = state["written"]
                lags.append(max(0, written - (read_lines() - base)) / rate)
                time.sleep(0.02)
        sampler = threading.Thread(target=sample)
        t0 = time.monotonic()
        sampler.start()
        written = 0
        view = memoryview(data)  # slices of it are written without a copy
        with open(dst, "ab", buffering=0) as out:
            while written < total:
                due = min(total, int((time.monotonic() - t0) * rate) + step)
                if due > written:
                    out.write(view[offsets[written]:offsets[due]])
                    written = due
                    state["written"] = written
                time.sleep(max(0, t0 + written / rate - time.monotonic()))
        t_end = time.monotonic()
        write_s = t_end - t0
        deadline = t_end + 30
        while read_lines() - base < total and time.monotonic() < deadline:
            time.sleep(0.005)
        drained = time.monotonic() - t_end
        state["writing"] = False
        sampler.join()
        got = read_lines() - base
        lags.sort()
        q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] * 1000 if lags else 0
        print("run/%s   %d lines at %d lines/s asked (%.0f written/s): lag p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
              "all counted %.0f ms after the last write%s" %
              (threads, total, rate, total / write_s, q(0.5), q(0.99), lags[-1] * 1000 if lags else 0,
               drained * 1000, "" if got == total else " (ONLY %d COUNTED)" % got))
    paced(rate, min(len(offsets) - 1, rate * 2))
    paced(10000, 50000)
finally:
    proc.terminate()
    proc.wait(timeout=10)
PY
}
tail_bench 1
tail_bench 2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
