#!/usr/bin/env bash
# Installs the Debian 12 packages metrics-adapter needs to build, test and benchmark.
# Idempotent: installs only what is missing, and only runs apt when something is.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache
  prometheus-cpp-dev libcivetweb-dev libre2-dev nlohmann-json3-dev libspdlog-dev
  doctest-dev libyaml-cpp-dev libbenchmark-dev zlib1g-dev libsimdjson-dev
  curl ca-certificates procps time
)
# Extra packages a caller asks for: test needs promtool, the benchmark needs mtail.
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
