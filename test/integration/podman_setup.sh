#!/usr/bin/env bash
# Prepares this machine for test/integration/pod_test.sh. Idempotent: each
# step does nothing when its result is already there.
#   1. The commands it calls resolve (scripts/deps.sh installs them).
#   2. /etc/containers/containers.conf: runtime = "runc" and explicit
#      default_ulimits. Podman's defaults fail on these machines: crun and the
#      default ulimits need CAP_SYS_RESOURCE, which the sandbox does not grant,
#      and crun trips over the hybrid cgroup layout.
#   3. A Debian 12 base image, BASE_IMAGE (default
#      localhost/metrics-adapter-base:bookworm), made with
#      `mmdebstrap --variant=minbase bookworm` from the Debian mirror apt is
#      already configured with, then `podman import`ed. Made once and reused:
#      it is the costly part of a cold run. REBUILD_BASE=1 makes it anew.
# Usage: test/integration/podman_setup.sh   (as root)
# Prints the base image name on stdout as its last line.
set -euo pipefail

base_image=${BASE_IMAGE:-localhost/metrics-adapter-base:bookworm}
log() { echo "podman_setup: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root (rootful podman, mmdebstrap, nsenter)"; exit 1; }

# --- 1. commands ---------------------------------------------------------------
# The packages are scripts/deps.sh's (group pod); catatonit is only a
# recommendation of podman's, yet kube play needs it for the pause image.
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" --require podman catatonit conmon runc mmdebstrap >&2 || exit 1

# --- 2. containers.conf -----------------------------------------------------
conf=/etc/containers/containers.conf
set_key() {  # set_key TABLE KEY VALUE: KEY = VALUE inside [TABLE], changing only that line
  local table=$1 key=$2 value=$3
  mkdir -p "$(dirname "$conf")"
  touch "$conf"
  # Where is the table, and is the key already set inside it?
  local found
  found=$(awk -v t="[$table]" -v k="$key" '
    /^[[:space:]]*\[/ { gsub(/[[:space:]]/, ""); in_t = ($0 == t); next }
    in_t && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" { print NR; exit }' "$conf")
  if [ -n "$found" ]; then
    if [ "$(sed -n "${found}p" "$conf")" != "$key = $value" ]; then
      sed -i "${found}s|.*|$key = $value|" "$conf"
      log "set $key in [$table] of $conf"
    fi
  elif grep -q "^[[:space:]]*\[$table\][[:space:]]*$" "$conf"; then
    sed -i "0,/^[[:space:]]*\[$table\][[:space:]]*$/s||[$table]\n$key = $value|" "$conf"
    log "added $key to [$table] of $conf"
  else
    printf '\n[%s]\n%s = %s\n' "$table" "$key" "$value" >>"$conf"
    log "added [$table] $key to $conf"
  fi
}
set_key containers default_ulimits '["nofile=16384:16384", "nproc=8192:8192"]'
set_key engine runtime '"runc"'

# --- 3. the base image --------------------------------------------------------
if [ "${REBUILD_BASE:-0}" != 1 ] && timeout 60 podman image exists "$base_image"; then
  log "reusing $base_image"
else
  # The Debian 12 repositories apt already uses (main archive, updates,
  # security), read from apt's own view of its sources rather than written
  # here: no mirror host is named in the repository.
  mapfile -t mirrors < <(apt-cache policy | awk '
    /^ *[0-9]+ [a-z]+:\/\// { uri = $2; split($3, s, "/"); suite = s[1]; comp = s[2]; next }
    /release / && /o=Debian,/ && /n=bookworm/ && uri != "" { print "deb " uri " " suite " " comp; uri = "" }' | sort -u)
  ((${#mirrors[@]})) || { log "apt knows no Debian bookworm repository (run apt-get update?)"; exit 1; }
  log "mmdebstrap minbase bookworm from: ${mirrors[*]}"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  timeout 900 mmdebstrap --quiet --variant=minbase --mode=root bookworm "$work/base.tar" "${mirrors[@]}" >&2
  timeout 300 podman import --quiet \
    --change 'CMD ["/bin/bash"]' \
    --message "mmdebstrap --variant=minbase bookworm" \
    "$work/base.tar" "$base_image" >/dev/null
  log "made $base_image ($(du -h "$work/base.tar" | cut -f1) tar)"
fi
echo "$base_image"
