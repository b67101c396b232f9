// Checks a Grafana dashboard (manifests/dashboards/*.json) offline, and
// lists its queries for the pod test, which runs them against a real
// Prometheus (Grafana itself is not in Debian).
//
//   node dashboard.mjs check DASHBOARD.json README.md SCHEMA.yaml...
//     Structure: every panel (rows' nested panels too) has a unique id, a
//     gridPos, and, unless it is a row, a datasource and at least one
//     target, each with an expr and a refId unique in its panel; queries go
//     to the "datasource" variable (type datasource, Prometheus), so the
//     dashboard imports into any Grafana; every $variable a query uses is
//     defined or one of Grafana's. Metric names: every name a query reads
//     is a self-metric the README's table lists, a family of a SCHEMA file
//     (histograms with _bucket/_sum/_count), one of Prometheus's own series
//     of a target (up, scrape_duration_seconds), or one of the process
//     collector's listed below, so a renamed metric breaks this check
//     rather than a panel.
//
//   node dashboard.mjs exprs DASHBOARD.json NAME=VALUE...
//     One line per target, "PANEL_ID/REF_ID<TAB>EXPR", with each $NAME,
//     ${NAME} and [[NAME]] replaced by VALUE and the expression on one line.
//
// Exit 0 when all is well, 1 with one line per problem otherwise.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

const [mode, file, ...rest] = process.argv.slice(2);
if (!["check", "exprs"].includes(mode) || !file) {
  console.error("usage: node dashboard.mjs check DASHBOARD.json README.md SCHEMA.yaml... | exprs DASHBOARD.json NAME=VALUE...");
  process.exit(2);
}
const dashboard = JSON.parse(readFileSync(file, "utf8"));
const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

// $name, ${name}, ${name:format}, [[name]]
const variableRef = /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g;

if (mode === "exprs") {
  const values = Object.fromEntries(rest.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
  let missing = 0;
  for (const { panel, target } of targets) {
    const expr = target.expr.replace(variableRef, (m, a, b, c) => {
      const name = a ?? b ?? c;
      if (!(name in values)) {
        console.error(`panel ${panel.id} (${panel.title}) ${target.refId}: no value given for $${name}`);
        missing = 1;
        return m;
      }
      return values[name];
    });
    console.log(`${panel.id}/${target.refId}\t${expr.replace(/\s+/g, " ").trim()}`);
  }
  process.exit(missing);
}

const [readme, ...schemas] = rest;
const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

// What may be queried.
const known = new Set(["up", "scrape_duration_seconds"]);
// The process collector's (standard process_* metrics of the adapter).
for (const m of ["process_resident_memory_bytes", "process_cpu_seconds_total"]) known.add(m);
for (const m of readFileSync(readme, "utf8").matchAll(/^\| `(metrics_adapter_\w+)` \|/gm)) known.add(m[1]);
for (const s of schemas)
  for (const f of parse(readFileSync(s, "utf8")).metrics ?? []) {
    known.add(f.name);
    if (f.type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) known.add(f.name + suffix);
  }

// Variables: the data source one, and the rest.
const variables = dashboard.templating?.list ?? [];
const names = new Set(variables.map((v) => v.name));
const builtin = new Set(["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__from", "__to"]);
const ds = variables.find((v) => v.type === "datasource");
if (!ds || ds.name !== "datasource" || ds.query !== "prometheus")
  problem("templating", 'no variable "datasource" of type datasource with query "prometheus"');
const usesDatasource = (d) => d?.uid === "${datasource}" && (d?.type ?? "prometheus") === "prometheus";
for (const v of variables.filter((v) => v.type === "query")) {
  if (!usesDatasource(v.datasource)) problem(`variable ${v.name}`, "does not query the ${datasource} variable");
  const q = typeof v.query === "string" ? v.query : v.query?.query;
  if (!q) problem(`variable ${v.name}`, "no query");
}
if (!dashboard.title || !dashboard.uid) problem("dashboard", "no title or uid");

// Panels.
const ids = new Map();
for (const p of panels) {
  const where = `panel ${p.id} (${p.title})`;
  if (!Number.isInteger(p.id)) problem(where, "no numeric id");
  else if (ids.has(p.id)) problem(where, `id also used by "${ids.get(p.id)}"`);
  else ids.set(p.id, p.title);
  const g = p.gridPos ?? {};
  if (![g.x, g.y, g.w, g.h].every(Number.isInteger) || g.x + g.w > 24) problem(where, `gridPos ${JSON.stringify(p.gridPos)}`);
  if (p.type === "row") continue;
  if (!p.title) problem(where, "no title");
  if (!usesDatasource(p.datasource)) problem(where, "does not query the ${datasource} variable");
  if (!(p.targets ?? []).length) problem(where, "no targets");
  const refIds = new Set();
  for (const t of p.targets ?? []) {
    if (typeof t.expr !== "string" || !t.expr.trim()) problem(where, `target ${t.refId}: no expr`);
    if (!t.refId || refIds.has(t.refId)) problem(where, `target refId ${t.refId} missing or repeated`);
    refIds.add(t.refId);
    if (t.datasource && !usesDatasource(t.datasource)) problem(where, `target ${t.refId}: not the \${datasource} variable`);
    const expr = t.expr ?? "";
    for (const m of expr.matchAll(variableRef)) {
      const name = m[1] ?? m[2] ?? m[3];
      if (!names.has(name) && !builtin.has(name)) problem(where, `target ${t.refId}: unknown variable $${name}`);
    }
    // Metric names: identifiers followed by { or [ or standing alone, minus
    // PromQL's functions, keywords and what is inside {...} or "...".
    const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, "{}").replace(/\[[^\]]*\]/g, "[]");
    // (A word followed by "(" is a function or an aggregation.)
    const words = new Set(
      [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].filter((m) => !/^\s*\(/.test(bare.slice(m.index + m[0].length))).map((m) => m[0]),
    );
    // Label lists of by/without/on/ignoring/group_left/group_right.
    const labelLists = [...bare.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) =>
      m[1].split(",").map((s) => s.trim()),
    );
    // Aggregations may be followed by a by/without clause before their "(".
    const keywords = new Set(
      "by without on ignoring group_left group_right and or unless bool offset inf nan sum min max avg group stddev stdvar count count_values bottomk topk quantile".split(" "),
    );
    for (const w of words)
      if (!keywords.has(w.toLowerCase()) && !labelLists.includes(w) && !known.has(w))
        problem(where, `target ${t.refId}: ${w} is no metric the adapter, its schemas or Prometheus provide`);
  }
}

for (const p of problems) console.log(`FAIL: ${p}`);
if (problems.length) process.exit(1);
console.log(`ok: ${panels.length} panels, ${targets.length} queries, ${variables.length} variables`);
