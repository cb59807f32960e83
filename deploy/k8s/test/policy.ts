// The platform rules every rendered combination must follow. Each check returns the list of
// violations (empty = compliant), so the tests can also feed it broken objects.
import { parseDuration } from "@booru/runtime";
import type { K8sObject, Rendered } from "./render.js";

/** Pods of these services run the booru image; the others (NATS, MongoDB) are dependencies. */
export const BOORU_SERVICES = ["watcher", "dedup", "hasher", "catalog", "console"] as const;
const GRPC_PORT = 50051;
/** serve.ts exits by force this long after delay + timeout if a stop step hangs. */
const RUNTIME_BACKSTOP_MS = 2_000;

type Labels = Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selects(selector: LabelSelector | undefined, labels: Labels = {}): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === "In") return e.values?.includes(labels[e.key]!) ?? false;
    if (e.operator === "NotIn") return !(e.values?.includes(labels[e.key]!) ?? false);
    if (e.operator === "Exists") return e.key in labels;
    if (e.operator === "DoesNotExist") return !(e.key in labels);
    throw new Error(`unsupported selector operator ${e.operator}`);
  });
  return byLabels && byExpr;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);
export const isWorkload = (o: K8sObject) => WORKLOAD_KINDS.has(o.kind);
const longRunning = (o: K8sObject) => o.kind !== "Job" && o.kind !== "CronJob";

export function podTemplate(o: K8sObject): { metadata?: { labels?: Labels }; spec: Any } {
  return o.kind === "CronJob" ? o.spec.jobTemplate.spec.template : o.spec.template;
}

const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const isBooru = (o: K8sObject) => o.kind === "Deployment" && (BOORU_SERVICES as readonly string[]).includes(o.metadata.name);

/** Resources, securityContext and probes of every container of every workload. */
export function checkContainers(w: K8sObject, objs: K8sObject[]): string[] {
  const errs: string[] = [];
  const pod = podTemplate(w).spec;
  const psc = pod.securityContext ?? {};
  const at = `${w.kind}/${w.metadata.name}`;
  if (pod.automountServiceAccountToken !== false) errs.push(`${at}: automountServiceAccountToken must be false`);
  if (!pod.serviceAccountName || !find(objs, "ServiceAccount", pod.serviceAccountName)) errs.push(`${at}: needs its own ServiceAccount`);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const cat = `${at} container ${c.name}`;
    const sc = c.securityContext ?? {};
    for (const kind of ["requests", "limits"]) {
      for (const res of ["cpu", "memory"]) if (c.resources?.[kind]?.[res] === undefined) errs.push(`${cat}: no ${kind}.${res}`);
    }
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) errs.push(`${cat}: runAsNonRoot must be true`);
    if (sc.readOnlyRootFilesystem !== true) errs.push(`${cat}: readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false) errs.push(`${cat}: allowPrivilegeEscalation must be false`);
    if (sc.privileged === true) errs.push(`${cat}: must not be privileged`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) errs.push(`${cat}: capabilities.drop must include ALL`);
    if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== "RuntimeDefault") errs.push(`${cat}: seccompProfile must be RuntimeDefault`);
    if (longRunning(w) && !(pod.initContainers ?? []).includes(c)) {
      if (!c.readinessProbe) errs.push(`${cat}: no readinessProbe`);
      if (!c.livenessProbe) errs.push(`${cat}: no livenessProbe`);
    }
  }
  return errs;
}

/** The environment a container sees from its ConfigMaps (envFrom) and literal env values. */
export function containerEnv(c: Any, objs: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const src of c.envFrom ?? []) {
    if (src.configMapRef) Object.assign(env, find(objs, "ConfigMap", src.configMapRef.name)?.data ?? {});
  }
  for (const e of c.env ?? []) if (typeof e.value === "string") env[e.name] = e.value;
  return env;
}

const ms = (raw: string | undefined, def: number) => (raw === undefined ? def : (parseDuration(raw) ?? NaN));

/** Services whose API callers need a token (modules with servesApi): beyond loopback they do not start without a tokens file. */
export const API_SERVICES = ["hasher", "catalog", "dedup", "console"] as const;

/** An API service listening beyond loopback reads its tokens from a Secret. */
function checkTokens(d: K8sObject, c: Any, env: Record<string, string>): string[] {
  if (!(API_SERVICES as readonly string[]).includes(d.metadata.name)) return [];
  const at = `Deployment/${d.metadata.name}`;
  const file = env.BOORU_TOKENS_FILE;
  if (!file) return [`${at}: serves an API on ${env.BOORU_LISTEN} without BOORU_TOKENS_FILE (it refuses to start without tokens)`];
  const mount = (c.volumeMounts ?? []).find((m: Any) => file.startsWith(`${m.mountPath}/`));
  const volume = (podTemplate(d).spec.volumes ?? []).find((v: Any) => v.name === mount?.name);
  return volume?.secret ? [] : [`${at}: BOORU_TOKENS_FILE (${file}) is not mounted from a Secret`];
}

/** gRPC probes, the shutdown sequence, target and Service of one booru Deployment. */
export function checkBooruDeployment(d: K8sObject, objs: K8sObject[]): string[] {
  const errs: string[] = [];
  const at = `Deployment/${d.metadata.name}`;
  const pod = podTemplate(d).spec;
  const c = pod.containers[0];
  const env = containerEnv(c, objs);
  if (!(c.args ?? []).includes(`--target=${d.metadata.name}`)) errs.push(`${at}: args must select --target=${d.metadata.name}`);
  if (env.BOORU_LISTEN !== `0.0.0.0:${GRPC_PORT}`) errs.push(`${at}: BOORU_LISTEN must be 0.0.0.0:${GRPC_PORT}, got ${env.BOORU_LISTEN}`);
  errs.push(...checkTokens(d, c, env));
  // Kubernetes' gRPC probes speak plaintext only, so with TLS on the port they become TCP checks.
  const probeKind = env.BOORU_TLS_CERT ? "tcpSocket" : "grpc";
  for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    if (c[probe]?.[probeKind]?.port !== GRPC_PORT) errs.push(`${at}: ${probe} must be a ${probeKind} probe on port ${GRPC_PORT}`);
  }
  const delay = ms(env.BOORU_SHUTDOWN_DELAY, 0);
  const timeout = ms(env.BOORU_SHUTDOWN_TIMEOUT, 25_000);
  const graceMs = (pod.terminationGracePeriodSeconds ?? 30) * 1000;
  if (!(graceMs > delay + timeout + RUNTIME_BACKSTOP_MS)) {
    errs.push(`${at}: terminationGracePeriodSeconds (${graceMs / 1000}s) must exceed shutdown delay + drain deadline + ${RUNTIME_BACKSTOP_MS / 1000}s (${(delay + timeout + RUNTIME_BACKSTOP_MS) / 1000}s)`);
  }
  if (!(delay > 0) && !c.lifecycle?.preStop) errs.push(`${at}: needs BOORU_SHUTDOWN_DELAY > 0 or a preStop hook so endpoints go before draining`);
  const live = c.livenessProbe ?? {};
  const tolerance = (live.periodSeconds ?? 10) * (live.failureThreshold ?? 3) * 1000;
  if (tolerance < delay + timeout) errs.push(`${at}: livenessProbe would kill a draining pod (${tolerance / 1000}s < ${(delay + timeout) / 1000}s)`);
  const mounts = new Map<string, string>((c.volumeMounts ?? []).map((m: Any) => [m.mountPath, m.name]));
  const tmp = (pod.volumes ?? []).find((v: Any) => v.name === mounts.get("/tmp"));
  if (!tmp?.emptyDir) errs.push(`${at}: /tmp must be a writable emptyDir (the root filesystem is read-only)`);
  const svc = find(objs, "Service", d.metadata.name);
  if (!svc || !selects({ matchLabels: svc.spec.selector }, podTemplate(d).metadata?.labels)) errs.push(`${at}: no Service ${d.metadata.name} selecting its pods`);
  return errs;
}

export interface Scale {
  min: number;
  max: number;
  autoscaler?: string;
}

/** Replica range of a workload: from its HPA or KEDA ScaledObject, else spec.replicas. */
export function scaleOf(w: K8sObject, objs: K8sObject[]): Scale {
  const targets = (o: K8sObject, ref: Any) => ref?.name === w.metadata.name && (ref.kind ?? "Deployment") === w.kind;
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler" && targets(o, o.spec.scaleTargetRef));
  const so = objs.find((o) => o.kind === "ScaledObject" && targets(o, o.spec.scaleTargetRef));
  if (so) return { min: so.spec.minReplicaCount ?? 0, max: so.spec.maxReplicaCount ?? 100, autoscaler: `ScaledObject/${so.metadata.name}` };
  if (hpa) return { min: hpa.spec.minReplicas ?? 1, max: hpa.spec.maxReplicas, autoscaler: `HorizontalPodAutoscaler/${hpa.metadata.name}` };
  const n = w.spec.replicas ?? 1;
  return { min: n, max: n };
}

/** How many pods a PDB lets go at `replicas` (Kubernetes rounds a minAvailable percentage up). */
function evictable(pdb: K8sObject, replicas: number): number {
  const pct = (v: string | number, up: boolean) => {
    if (typeof v === "number") return v;
    const f = (Number.parseInt(v, 10) / 100) * replicas;
    return up ? Math.ceil(f) : Math.floor(f);
  };
  if (pdb.spec.minAvailable !== undefined) return replicas - pct(pdb.spec.minAvailable, true);
  return pct(pdb.spec.maxUnavailable, true);
}

/** PDBs, topology spread and autoscaler ownership of every long-running workload. */
export function checkScaling(w: K8sObject, objs: K8sObject[]): string[] {
  const errs: string[] = [];
  const at = `${w.kind}/${w.metadata.name}`;
  const labels = podTemplate(w).metadata?.labels;
  const scale = scaleOf(w, objs);
  const autoscalers = objs.filter((o) => ["HorizontalPodAutoscaler", "ScaledObject"].includes(o.kind) && o.spec.scaleTargetRef?.name === w.metadata.name);
  if (autoscalers.length > 1) errs.push(`${at}: scaled by ${autoscalers.length} autoscalers at once`);
  if (scale.autoscaler && w.spec.replicas !== undefined) errs.push(`${at}: pins spec.replicas although ${scale.autoscaler} owns the count`);
  if (scale.max <= 1) return errs;
  const pdb = objs.find((o) => o.kind === "PodDisruptionBudget" && selects(o.spec.selector, labels));
  if (!pdb) errs.push(`${at}: runs up to ${scale.max} replicas but no PodDisruptionBudget selects its pods`);
  else if (evictable(pdb, Math.max(scale.min, 1)) < 1 && scale.min > 1) errs.push(`${at}: PodDisruptionBudget/${pdb.metadata.name} blocks every eviction at ${scale.min} replicas`);
  const spread = podTemplate(w).spec.topologySpreadConstraints ?? [];
  if (!spread.some((t: Any) => t.topologyKey === "kubernetes.io/hostname" && selects(t.labelSelector, labels))) errs.push(`${at}: no topology spread across nodes (kubernetes.io/hostname)`);
  return errs;
}

/** Hasher: CPU HPA with at least 2 replicas and a headless Service that clients dial with dns:///. */
export function checkHasher(objs: K8sObject[]): string[] {
  const errs: string[] = [];
  const hasher = find(objs, "Deployment", "hasher");
  if (!hasher) return ["no Deployment/hasher"];
  const labels = podTemplate(hasher).metadata?.labels;
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef?.kind === "Deployment" && o.spec.scaleTargetRef?.name === "hasher");
  if (!hpa) errs.push("hasher: no HorizontalPodAutoscaler");
  else {
    if (!(hpa.spec.minReplicas >= 2)) errs.push(`hasher: HPA minReplicas must be >= 2 (got ${hpa.spec.minReplicas})`);
    if (!(hpa.spec.metrics ?? []).some((m: Any) => m.type === "Resource" && m.resource?.name === "cpu")) errs.push("hasher: HPA must scale on CPU");
  }
  const headless = objs.filter((o) => o.kind === "Service" && o.spec.clusterIP === "None" && selects({ matchLabels: o.spec.selector }, labels));
  if (!headless.some((s) => s.spec.ports.some((p: Any) => p.port === GRPC_PORT))) errs.push("hasher: no headless Service (clusterIP: None) for gRPC");
  const dedup = find(objs, "Deployment", "dedup");
  const addr = dedup ? containerEnv(podTemplate(dedup).spec.containers[0], objs).BOORU_HASHER_ADDR : undefined;
  const host = /^dns:\/\/\/([^:.]+)/.exec(addr ?? "")?.[1];
  if (!host || !headless.some((s) => s.metadata.name === host)) errs.push(`dedup: BOORU_HASHER_ADDR (${addr}) must be dns:///<headless hasher Service>`);
  return errs;
}

/** The PVC behind a path in a container ("emptyDir" or "none" otherwise): the longest mount prefix wins. */
export function claimAt(d: K8sObject, dir: string): string {
  const pod = podTemplate(d).spec;
  const mounts = (pod.containers[0].volumeMounts ?? []).filter((m: Any) => dir === m.mountPath || dir.startsWith(m.mountPath.replace(/\/?$/, "/")));
  const mount = mounts.sort((a: Any, b: Any) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return "none";
  const vol = (pod.volumes ?? []).find((v: Any) => v.name === mount.name);
  return vol?.persistentVolumeClaim?.claimName ?? "emptyDir";
}

/**
 * Files move between services through shared volumes: the watcher and dedup must see the same
 * inbox at the same path; nothing may land in an emptyDir. The library is dedup's alone (the
 * catalog's deletions reach it over the bus), so no other service mounts it.
 */
export function checkSharedFolders(objs: K8sObject[]): string[] {
  const errs: string[] = [];
  const at = (svc: string) => find(objs, "Deployment", svc);
  const folder = (svc: string, key: string, fallback: string) => {
    const d = at(svc)!;
    const env = containerEnv(podTemplate(d).spec.containers[0], objs);
    return (env[key] ?? `${env.BOORU_DATA ?? "./data"}/${fallback}`).split(",")[0]!.trim();
  };
  const onClaim = (svc: string, key: string, fallback: string) => {
    const dir = folder(svc, key, fallback);
    const claim = claimAt(at(svc)!, dir);
    if (claim === "emptyDir" || claim === "none") errs.push(`${svc}: ${key} (${dir}) is not on a persistent volume (${claim})`);
    return `${claim}:${dir}`;
  };
  if (!at("watcher") || !at("dedup") || !at("catalog")) return errs;
  const inboxW = onClaim("watcher", "BOORU_INBOX", "inbox");
  const inboxD = onClaim("dedup", "BOORU_INBOX", "inbox");
  if (inboxW !== inboxD) errs.push(`watcher and dedup see different inboxes (${inboxW} vs ${inboxD}): event paths would not resolve`);
  onClaim("dedup", "BOORU_LIBRARY", "library");
  onClaim("dedup", "BOORU_DUPLICATES", "duplicates");
  onClaim("dedup", "BOORU_REJECTED", "rejected");
  return errs;
}

/** Every rule over one rendered combination. */
export function checkPolicy(r: Rendered): string[] {
  const objs = r.objects;
  const errs: string[] = [];
  for (const w of objs.filter(isWorkload)) {
    errs.push(...checkContainers(w, objs));
    if (isBooru(w)) errs.push(...checkBooruDeployment(w, objs));
    if (longRunning(w)) errs.push(...checkScaling(w, objs));
  }
  for (const svc of BOORU_SERVICES) if (!find(objs, "Deployment", svc)) errs.push(`no Deployment/${svc}`);
  errs.push(...checkHasher(objs));
  errs.push(...checkSharedFolders(objs));
  return errs.map((e) => `${r.name}: ${e}`);
}
