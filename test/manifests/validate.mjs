// Validates the objects `kubectl kustomize manifests/` renders, offline:
//   1. schemas: each object against its Kubernetes (or Prometheus Operator)
//      schema from kubernetes-models: types, enums, required fields;
//   2. unknown fields, which those schemas let through (they have no
//      additionalProperties: false): a misspelt securityContext field would
//      be dropped by the API server without a word, so it is an error here;
//   3. the properties the deployment promises (non-root, read-only root,
//      probes, resources, the shared log volume, the positions file on an
//      emptyDir, the sidecar form and the shutdown order, the selectors that
//      must match the pod), so that a patch cannot quietly lose them.
// With --extract DIR it also writes the adapter's ConfigMap files to
// DIR/<mount path>/..., laid out by the Deployment's volume items, so that
// `metrics-adapter check` can read the config exactly as the pod will.
//
// With --volumes it prints the Deployment's volumes as "emptyDir NAME" and
// "configMap CONFIGMAP" lines, for pod_test.sh to clean up after podman.
//
// --form native (the default: manifests/) wants the adapter as a native
// sidecar, --form classic (manifests/classic) as a plain second container.
//
// Usage: node validate.mjs RENDERED.yaml [--form native|classic] [--extract DIR] [--volumes] [--schemas-only]
// Exit 0 when all is well, 1 with one line per problem otherwise.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const file = args[0];
const extractDir = args.indexOf("--extract") >= 0 ? args[args.indexOf("--extract") + 1] : null;
const form = args.indexOf("--form") >= 0 ? args[args.indexOf("--form") + 1] : "native";
if (form !== "native" && form !== "classic") {
  console.error(`validate.mjs: --form ${form}: want native or classic`);
  process.exit(2);
}
if (!file) {
  console.error("usage: node validate.mjs RENDERED.yaml [--form native|classic] [--extract DIR] [--volumes] [--schemas-only]");
  process.exit(2);
}

const problems = [];
const problem = (obj, msg) => problems.push(`${obj ? `${obj.kind}/${obj.metadata?.name}` : "-"}: ${msg}`);

const docs = parseAllDocuments(readFileSync(file, "utf8"));
const objects = [];
for (const doc of docs) {
  if (doc.errors.length) {
    for (const e of doc.errors) problem(null, `YAML: ${e.message}`);
    continue;
  }
  const o = doc.toJS();
  if (o !== null) objects.push(o);
}
if (!objects.length) problem(null, "no objects rendered");

// --- 1 + 2: schemas and unknown fields ---------------------------------------

// The model module for apiVersion/kind, as kubernetes-models lays them out.
function modelSpecifier(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (group === "monitoring.coreos.com")
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

// The compiled schema validator behind a model: the model module imports it
// from its _schemas directory. Calling it directly (not through the model
// class, which copies the object) lets it see the tracking proxy below.
async function schemaValidator(apiVersion, kind) {
  const url = import.meta.resolve(modelSpecifier(apiVersion, kind));
  const source = readFileSync(new URL(url), "utf8");
  const m = source.match(/from"(\.[^"]*_schemas\/[^"]+\.js)"/);
  if (!m) throw new Error(`no schema import in ${url}`);
  return (await import(new URL(m[1], url).href)).validate;
}

// Runs VALIDATE on a proxy of OBJ that records which keys the validator asks
// for on each object. The generated validators look up every property their
// schema declares, and enumerate the keys only of maps (additionalProperties,
// e.g. labels, ConfigMap data). So a key that is present but never asked for
// is not in the schema. An object whose schema declares no properties at all
// (free-form, x-kubernetes-preserve-unknown-fields) is asked for nothing and
// is skipped, as is every map.
function validateTracked(validate, obj) {
  const asked = new Map(); // target -> Set of keys looked up
  const enumerated = new Set();
  const proxies = new WeakMap();
  const note = (t, k) => {
    if (typeof k !== "string") return;
    if (!asked.has(t)) asked.set(t, new Set());
    asked.get(t).add(k);
  };
  const wrap = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (proxies.has(v)) return proxies.get(v);
    const p = new Proxy(v, {
      get: (t, k) => (note(t, k), wrap(Reflect.get(t, k))),
      has: (t, k) => (note(t, k), Reflect.has(t, k)),
      getOwnPropertyDescriptor: (t, k) => (note(t, k), Reflect.getOwnPropertyDescriptor(t, k)),
      ownKeys: (t) => (enumerated.add(t), Reflect.ownKeys(t)),
    });
    proxies.set(v, p);
    return p;
  };
  const ok = validate(wrap(obj));
  const unknown = [];
  const walk = (v, path) => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`));
    const keys = asked.get(v);
    const checked = keys && keys.size > 0 && !enumerated.has(v);
    for (const [k, x] of Object.entries(v)) {
      if (checked && !keys.has(k)) unknown.push(`${path}.${k}`);
      walk(x, `${path}.${k}`);
    }
  };
  walk(obj, "");
  return { ok, errors: validate.errors || [], unknown };
}

for (const o of objects) {
  if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
    problem(o, "no apiVersion or kind");
    continue;
  }
  let validate;
  try {
    validate = await schemaValidator(o.apiVersion, o.kind);
  } catch (e) {
    problem(o, `no schema for ${o.apiVersion} ${o.kind} (${e.message.split("\n")[0]})`);
    continue;
  }
  const { ok, errors, unknown } = validateTracked(validate, o);
  if (!ok) for (const e of errors) problem(o, `schema: ${e.instancePath || "/"} ${e.message || e.keyword} ${JSON.stringify(e.params)}`);
  for (const u of unknown) problem(o, `unknown field ${u}`);
}

// --- 3: what the deployment promises -----------------------------------------

// --schemas-only (the podman overlay, which strips ports and probes) keeps
// sections 1 and 2, the volume listing and the extraction.
const promise = args.includes("--schemas-only") ? () => {} : problem;
const byKind = (kind) => objects.filter((o) => o.kind === kind);
const matches = (selector, labels) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

const deployments = byKind("Deployment");
if (deployments.length !== 1) promise(null, `want exactly 1 Deployment, got ${deployments.length}`);
for (const d of deployments) {
  const pod = d.spec?.template?.spec ?? {};
  const podLabels = d.spec?.template?.metadata?.labels ?? {};
  // Every container, init containers (the native sidecar) included.
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  const adapter = containers.find((c) => c.name === "metrics-adapter");
  if (!adapter) {
    promise(d, "no container named metrics-adapter");
    continue;
  }
  const apps = (pod.containers ?? []).filter((c) => c !== adapter);
  if (!apps.length) promise(d, "the adapter should run beside an app container");
  if (!matches(d.spec?.selector?.matchLabels, podLabels)) promise(d, "selector does not match the pod labels");

  // The form. Native: an init container with restartPolicy Always is a
  // sidecar, started before the app (which waits for its startupProbe) and
  // stopped after it. Classic: a plain container beside the app.
  const isInit = (pod.initContainers ?? []).includes(adapter);
  if (form === "native") {
    if (!isInit) promise(d, "metrics-adapter: not an init container (the native sidecar form)");
    else if (adapter.restartPolicy !== "Always")
      promise(d, `metrics-adapter: an init container with restartPolicy ${adapter.restartPolicy}, not Always: it would block the app`);
  } else {
    if (isInit) promise(d, "metrics-adapter: an init container in the classic form");
    if (adapter.restartPolicy !== undefined) promise(d, "metrics-adapter: restartPolicy on a plain container (the classic form is for clusters before 1.29)");
    if (adapter.lifecycle?.preStop?.sleep) promise(d, "metrics-adapter: a preStop sleep action in the classic form (Kubernetes 1.30+)");
  }

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (!(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) promise(d, `${where}: runAsNonRoot is not set`);
    const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
    if (uid === 0) promise(d, `${where}: runAsUser 0`);
    if (sc.readOnlyRootFilesystem !== true) promise(d, `${where}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) promise(d, `${where}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) promise(d, `${where}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).length) promise(d, `${where}: adds capabilities`);
    if (sc.privileged) promise(d, `${where}: privileged`);
    for (const kind of ["requests", "limits"])
      for (const r of ["cpu", "memory"])
        if (!c.resources?.[kind]?.[r]) promise(d, `${where}: no resources.${kind}.${r}`);
  }

  // The adapter: a named metrics port, probes on it, nothing writable.
  const metricsPort = (adapter.ports ?? []).find((p) => p.name === "metrics");
  if (!metricsPort) promise(d, "metrics-adapter: no port named metrics");
  const probe = (p, path) => {
    if (p?.httpGet?.path !== path) promise(d, `metrics-adapter: probe should GET ${path}, not ${p?.httpGet?.path}`);
    else if (p.httpGet.port !== "metrics" && p.httpGet.port !== metricsPort?.containerPort)
      promise(d, `metrics-adapter: probe on ${path} is not on the metrics port`);
  };
  probe(adapter.livenessProbe, "/healthz");
  probe(adapter.readinessProbe, "/readyz");
  // Native: the startupProbe is what holds the app back until the adapter
  // has loaded its sources.
  if (form === "native") probe(adapter.startupProbe, "/readyz");
  const listen = (adapter.args ?? []).find((a) => a.startsWith("--web.listen-address="));
  if (listen && metricsPort && !listen.endsWith(`:${metricsPort.containerPort}`))
    promise(d, `metrics-adapter: ${listen} is not the metrics containerPort ${metricsPort.containerPort}`);
  // The shared log volume: an emptyDir the adapter reads and another container writes.
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  if (args.includes("--volumes"))
    for (const v of volumes.values())
      if (v.emptyDir) console.log(`emptyDir ${v.name}`);
      else if (v.configMap) console.log(`configMap ${v.configMap.name}`);
  const shared = (adapter.volumeMounts ?? []).filter(
    (m) =>
      volumes.get(m.name)?.emptyDir &&
      containers.some((c) => c !== adapter && (c.volumeMounts ?? []).some((n) => n.name === m.name && !n.readOnly)),
  );
  if (!shared.length) promise(d, "no emptyDir that another container writes and the adapter reads");

  // The config: --config.file inside a ConfigMap volume whose keys all exist.
  const configArg = (adapter.args ?? []).find((a) => a.startsWith("--config.file="));
  const configFile = configArg?.slice("--config.file=".length);
  const configMount = (adapter.volumeMounts ?? []).find((m) => configFile?.startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
  const configVolume = configMount && volumes.get(configMount.name);
  const cm = configVolume?.configMap && byKind("ConfigMap").find((c) => c.metadata?.name === configVolume.configMap.name);
  let configText;  // adapter.yaml as the adapter reads it
  if (!cm) {
    promise(d, `metrics-adapter: --config.file ${configFile} is not in a ConfigMap volume of this kustomization`);
  } else {
    const items = configVolume.configMap.items ?? Object.keys(cm.data ?? {}).map((k) => ({ key: k, path: k }));
    for (const it of items) if (!(it.key in (cm.data ?? {}))) promise(cm, `no key ${it.key} (volume items name it)`);
    for (const k of Object.keys(cm.data ?? {}))
      if (!items.some((it) => it.key === k)) promise(cm, `key ${k} is not laid out by the volume items`);
    const configItem = items.find((it) => `${configMount.mountPath.replace(/\/$/, "")}/${it.path}` === configFile);
    if (!configItem) promise(d, `metrics-adapter: no volume item is ${configFile}`);
    else configText = cm.data?.[configItem.key];
    if (extractDir) {
      for (const it of items) {
        const out = join(extractDir, configMount.mountPath, it.path);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, cm.data?.[it.key] ?? "");
      }
      // One parseable line: pod_test.sh pre-creates this volume (podman 4.3
      // cannot lay out items with nested paths itself).
      console.log(`extracted ${cm.metadata.name} ${configMount.mountPath} ${items.length}`);
    }
  }

  // The positions file: on an emptyDir (it lives as long as the pod, so a
  // restarted adapter resumes where the last one stopped), the only volume
  // the adapter may write; every other mount, the logs first, read-only.
  let config = null;
  try {
    if (configText !== undefined) config = parse(configText);
  } catch (e) {
    promise(d, `metrics-adapter: ${configFile} is not YAML: ${e.message}`);
  }
  const positionsPath = config?.positions?.path;
  const under = (path, m) => path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`);
  const positionsMount = positionsPath && (adapter.volumeMounts ?? []).find((m) => under(positionsPath, m));
  if (!positionsPath) promise(d, `metrics-adapter: ${configFile} keeps no positions file (positions.path)`);
  else if (!positionsMount) promise(d, `metrics-adapter: positions.path ${positionsPath} is on no volume (the root is read-only)`);
  else if (!volumes.get(positionsMount.name)?.emptyDir) promise(d, `metrics-adapter: positions.path ${positionsPath} is not on an emptyDir`);
  else if (positionsMount.readOnly) promise(d, `metrics-adapter: the positions volume ${positionsMount.name} is mounted readOnly`);
  for (const m of adapter.volumeMounts ?? [])
    if (m !== positionsMount && m.readOnly !== true) promise(d, `metrics-adapter: volume ${m.name} is not mounted readOnly`);

  // Shutdown. The kubelet runs every preStop hook, the sidecar's too, when
  // the pod starts terminating, and stops the sidecar once the app has
  // exited and the sidecar's preStop has returned. So the adapter's preStop
  // sleep must cover the app's drain (nginx's worker_shutdown_timeout in the
  // app's ConfigMap) plus a scrape interval and its timeout, for Prometheus
  // to read the final counts; the grace period covers the longer of drain
  // and sleep, plus 2 s for the adapter to stop. Classic: the drain + 2 s.
  const seconds = (v) => {
    const m = /^(\d+)(ms|s|m|h)?$/.exec(String(v ?? ""));
    return m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"] : undefined;
  };
  const appConfigMaps = apps.flatMap((c) => (c.volumeMounts ?? []).map((m) => volumes.get(m.name)?.configMap?.name)).filter(Boolean);
  const drains = byKind("ConfigMap")
    .filter((c) => appConfigMaps.includes(c.metadata?.name))
    .flatMap((c) => Object.values(c.data ?? {}))
    .map((text) => /^\s*worker_shutdown_timeout\s+(\S+?);/m.exec(text)?.[1])
    .filter(Boolean)
    .map(seconds);
  const drain = drains.length ? Math.max(...drains) : undefined;
  if (drain === undefined) promise(d, "the app's drain time is unknown (no worker_shutdown_timeout in a ConfigMap the app mounts)");
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  const sleep = form === "native" ? (adapter.lifecycle?.preStop?.sleep?.seconds ?? 0) : 0;
  if (form === "native" && drain !== undefined)
    for (const m of byKind("PodMonitor"))
      for (const e of m.spec?.podMetricsEndpoints ?? []) {
        const scrape = (seconds(e.interval) ?? 30) + (seconds(e.scrapeTimeout) ?? 10);
        if (sleep < drain + scrape)
          promise(d, `metrics-adapter: preStop sleeps ${sleep} s, less than the app's drain ${drain} s + the PodMonitor's interval and scrapeTimeout ${scrape} s: the final counts may never be scraped`);
      }
  if (drain !== undefined && grace < Math.max(drain, sleep) + 2)
    promise(d, `terminationGracePeriodSeconds ${grace} < ${Math.max(drain, sleep) + 2} s: the app's drain ${drain} s and the adapter's preStop ${sleep} s (at the same time), then 2 s to stop the adapter`);

  // Everything that points at the pod must select it and name real ports.
  const portNames = new Set(containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
  for (const s of byKind("Service")) {
    if (!matches(s.spec?.selector, podLabels)) promise(s, "selector does not match the pod");
    if ((s.spec?.type ?? "ClusterIP") !== "ClusterIP") promise(s, "type is not ClusterIP");
    for (const p of s.spec?.ports ?? [])
      if (typeof p.targetPort === "string" && !portNames.has(p.targetPort)) promise(s, `targetPort ${p.targetPort} is no container port`);
    if (!(s.spec?.ports ?? []).some((p) => p.targetPort === "metrics")) promise(s, "does not target the metrics port");
  }
  for (const m of byKind("PodMonitor")) {
    if (!matches(m.spec?.selector?.matchLabels, podLabels)) promise(m, "selector does not match the pod");
    for (const e of m.spec?.podMetricsEndpoints ?? []) if (!portNames.has(e.port)) promise(m, `port ${e.port} is no container port`);
  }
  const policies = byKind("NetworkPolicy").filter((n) => matches(n.spec?.podSelector?.matchLabels, podLabels));
  if (!policies.length) promise(d, "no NetworkPolicy selects the pod");
  for (const n of policies) {
    const rules = n.spec?.ingress ?? [];
    const admits = (r, port) => !r.ports || r.ports.some((p) => p.port === port || p.port === metricsPort?.containerPort);
    const metricsRules = rules.filter((r) => admits(r, "metrics"));
    if (!metricsRules.length) promise(n, "does not admit the metrics port at all");
    for (const r of metricsRules) {
      const peers = r.from ?? [];
      if (!peers.length || peers.some((p) => !p.namespaceSelector || !p.podSelector))
        promise(n, "the metrics port is open to peers other than labelled pods of a selected namespace");
    }
    // The app's own ports must stay reachable from anywhere (the policy is
    // about the metrics port, not the app).
    for (const c of containers.filter((c) => c !== adapter))
      for (const p of c.ports ?? [])
        if (!rules.some((r) => !r.from && (r.ports ?? []).some((q) => q.port === p.name || q.port === p.containerPort)))
          promise(n, `app port ${p.name ?? p.containerPort} of ${c.name} is not left open`);
  }
}

for (const p of problems) console.log(`FAIL: ${p}`);
if (problems.length) process.exit(1);
console.log(`ok: ${objects.length} objects (${objects.map((o) => o.kind).join(", ")}) valid, no unknown fields`);
