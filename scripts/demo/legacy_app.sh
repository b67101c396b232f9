#!/usr/bin/env bash
# A stand-in legacy application: it knows nothing of Prometheus and only
# writes an nginx-style access log (combined format plus $request_time),
# rotating it the way logrotate does (rename, then the app writes a new file).
# Usage: legacy_app.sh LOG_DIR [LINES_PER_SECOND] [ROTATE_EVERY_LINES]
set -euo pipefail
dir=${1:?usage: legacy_app.sh LOG_DIR [LINES_PER_SECOND] [ROTATE_EVERY_LINES]}
rate=${2:-20}
rotate_every=${3:-200}
mkdir -p "$dir"

methods=(GET GET GET GET GET GET POST POST PUT DELETE HEAD PROPFIND)
statuses=(200 200 200 200 200 200 200 201 204 301 304 400 404 404 405 500 503)
paths=(/ /index.html /api/orders /api/orders/42 /api/users /static/app.js /login /health)
agents=("curl/8.0" "Mozilla/5.0 (X11; Linux x86_64)" "Go-http-client/1.1" "kube-probe/1.29")

written=0
while :; do
  method=${methods[RANDOM % ${#methods[@]}]}
  status=${statuses[RANDOM % ${#statuses[@]}]}
  path=${paths[RANDOM % ${#paths[@]}]}
  agent=${agents[RANDOM % ${#agents[@]}]}
  bytes=$((RANDOM % 20000))
  # Mostly fast requests with a slow tail, in seconds with millisecond resolution.
  ms=$((RANDOM % 80))
  ((RANDOM % 10 == 0)) && ms=$((RANDOM % 3000))
  printf '10.1.%d.%d - - [%s] "%s %s HTTP/1.1" %s %s "-" "%s" %d.%03d\n' \
    $((RANDOM % 256)) $((RANDOM % 256)) "$(date -u '+%d/%b/%Y:%H:%M:%S +0000')" \
    "$method" "$path" "$status" "$bytes" "$agent" $((ms / 1000)) $((ms % 1000)) \
    >>"$dir/access.log"
  written=$((written + 1))
  if ((written % rotate_every == 0)); then
    mv -f "$dir/access.log" "$dir/access.log.1"  # the next line creates a fresh file
  fi
  sleep "$(awk -v r="$rate" 'BEGIN { printf "%.3f", 1 / r }')"
done
