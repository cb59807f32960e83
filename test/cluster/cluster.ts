/**
 * The local Kubernetes cluster of scripts/cluster, as the cluster test drives it: the scripts,
 * kubectl, the API read directly (for sampling every second or two without a kubectl process
 * each time), the volumes on the node, the booru CLI against the catalog's NodePort, and the
 * photo set.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const STATE = process.env.BOORU_CLUSTER_STATE ?? "/var/lib/booru-cluster";
export const KUBECONFIG = path.join(STATE, "admin.kubeconfig");
export const CACHE = process.env.BOORU_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "booru-ingest");
export const OUT = path.join(REPO, "test/cluster/out");
export const NS = "booru";
export const OVERLAY = path.join(REPO, "deploy/k8s/overlays/local");
/** The dev overlay's committed tokens (deploy/k8s/overlays/dev/secrets/tokens). */
export const READ_TOKEN = "dev-read-token-do-not-use-00000";

const run = promisify(execFile);

/** Runs scripts/cluster/NAME, its output into OUT/NAME.log; resolves with the exit code and seconds. */
export function clusterScript(name: string, timeoutMs: number): Promise<{ code: number; seconds: number; tail: string }> {
  mkdirSync(OUT, { recursive: true });
  const log = createWriteStream(path.join(OUT, `${name}.log`));
  const started = Date.now();
  const lines: string[] = [];
  return new Promise((resolve) => {
    const proc = spawn("bash", [path.join(REPO, "scripts/cluster", name)], { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGTERM" });
    const take = (b: Buffer) => {
      log.write(b);
      lines.push(...b.toString().split("\n").filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - 40));
    };
    proc.stdout.on("data", take);
    proc.stderr.on("data", take);
    proc.on("close", (code) => {
      log.end();
      resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000, tail: lines.join("\n") });
    });
  });
}

export function kubectl(args: string[], input?: string): string {
  return execFileSync("kubectl", ["--kubeconfig", KUBECONFIG, "-n", NS, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

export async function kubectlAsync(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run("kubectl", ["--kubeconfig", KUBECONFIG, "-n", NS, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout;
}

interface Credentials {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}
let creds: Credentials | undefined;
function credentials(): Credentials {
  if (creds) return creds;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cfg = parse(readFileSync(KUBECONFIG, "utf8")) as any;
  const b64 = (s: string) => Buffer.from(s, "base64");
  creds = {
    server: cfg.clusters[0].cluster.server,
    ca: b64(cfg.clusters[0].cluster["certificate-authority-data"]),
    cert: b64(cfg.users[0].user["client-certificate-data"]),
    key: b64(cfg.users[0].user["client-key-data"]),
  };
  return creds;
}

/** GET of an API path (admin credentials from the kubeconfig), parsed. */
export function api<T>(apiPath: string): Promise<T> {
  const c = credentials();
  return new Promise((resolve, reject) => {
    const req = https.get(`${c.server}${apiPath}`, { ca: c.ca, cert: c.cert, key: c.key, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (b: Buffer) => chunks.push(b));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`GET ${apiPath}: ${res.statusCode} ${body.slice(0, 300)}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: timed out`)));
    req.on("error", reject);
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

export interface PodInfo {
  name: string;
  app: string;
  ip: string;
  ready: boolean;
  phase: string;
  deleting: boolean;
  restarts: number;
  containerIds: string[];
  probes: string[];
}

export async function pods(selector = ""): Promise<PodInfo[]> {
  const q = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
  const list = await api<{ items: Obj[] }>(`/api/v1/namespaces/${NS}/pods${q}`);
  return list.items.map((p) => ({
    name: p.metadata.name,
    app: p.metadata.labels?.["app.kubernetes.io/name"] ?? "",
    ip: p.status.podIP ?? "",
    ready: (p.status.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True"),
    phase: p.status.phase,
    deleting: Boolean(p.metadata.deletionTimestamp),
    restarts: (p.status.containerStatuses ?? []).reduce((n: number, c: Obj) => n + c.restartCount, 0),
    containerIds: (p.status.containerStatuses ?? []).map((c: Obj) => String(c.containerID ?? "").replace(/^containerd:\/\//, "")).filter(Boolean),
    probes: p.spec.containers.flatMap((c: Obj) => ["startupProbe", "readinessProbe", "livenessProbe"].filter((k) => c[k]).map((k) => `${c.name}.${k}:${Object.keys(c[k]).find((t) => ["grpc", "httpGet", "tcpSocket", "exec"].includes(t))}`)),
  }));
}

export interface Scale {
  replicas: number;
  ready: number;
  /** The HPA's reading of average CPU use, % of requests (undefined until metrics arrive). */
  cpu?: number;
  desired?: number;
}

export async function hasherScale(): Promise<Scale> {
  const [d, hpa] = await Promise.all([
    api<Obj>(`/apis/apps/v1/namespaces/${NS}/deployments/hasher`),
    api<Obj>(`/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/hasher`),
  ]);
  const cpu = (hpa.status?.currentMetrics ?? []).find((m: Obj) => m.resource?.name === "cpu")?.resource?.current?.averageUtilization;
  return { replicas: d.status?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0, cpu, desired: hpa.status?.desiredReplicas };
}

/** Names of every Deployment and StatefulSet in the namespace (so later additions are covered). */
export async function workloads(): Promise<{ kind: string; name: string }[]> {
  const [d, s] = await Promise.all([
    api<{ items: Obj[] }>(`/apis/apps/v1/namespaces/${NS}/deployments`),
    api<{ items: Obj[] }>(`/apis/apps/v1/namespaces/${NS}/statefulsets`),
  ]);
  return [...d.items.map((o) => ({ kind: "deployment", name: o.metadata.name })), ...s.items.map((o) => ({ kind: "statefulset", name: o.metadata.name }))];
}

/** Every workload rolled out: `kubectl rollout status` for each Deployment and StatefulSet. */
export async function waitRolledOut(timeoutMs: number): Promise<string[]> {
  const all = await workloads();
  for (const w of all) await kubectlAsync(["rollout", "status", `${w.kind}/${w.name}`, `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 10_000);
  return all.map((w) => `${w.kind}/${w.name}`);
}

/** The node's address (InternalIP), where NodePorts listen. */
export async function nodeAddress(): Promise<string> {
  const nodes = await api<{ items: Obj[] }>("/api/v1/nodes");
  return nodes.items[0].status.addresses.find((a: Obj) => a.type === "InternalIP").address;
}

/** The folder on this node behind a claim of the namespace (hostPath volumes of scripts/cluster/volumes.sh). */
export async function claimPath(claim: string): Promise<string> {
  const pvc = await api<Obj>(`/api/v1/namespaces/${NS}/persistentvolumeclaims/${claim}`);
  const pv = await api<Obj>(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
  return pv.spec.hostPath.path;
}

/** The booru CLI against the catalog's Service (NodePort 30051) with the dev read token. */
export async function booru(server: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(REPO, "packages/cli/bin/booru.js"), ...args], {
    env: { ...process.env, BOORU_SERVER: server, BOORU_TOKEN: READ_TOKEN },
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

const crictlBin = () => {
  const bin = readdirSync(path.join(CACHE, "cluster")).find((d) => d.startsWith("bin-"));
  return path.join(CACHE, "cluster", bin ?? "bin", "crictl");
};

/** Crashes a pod's containers: SIGKILL to each container's process on this node (they restart in place). */
export function crash(pod: PodInfo): void {
  for (const id of pod.containerIds) {
    const out = execFileSync(crictlBin(), ["--runtime-endpoint", `unix://${STATE}/run/containerd.sock`, "inspect", id], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const pid = (JSON.parse(out) as Obj).info?.pid;
    if (typeof pid === "number" && pid > 0) process.kill(pid, "SIGKILL");
  }
}

/** The photo set: bench/photos.sh's real photos, built once into the cache. */
export function photoDir(): string {
  const dir = path.join(CACHE, "photos");
  if (!existsSync(path.join(dir, ".complete"))) {
    execFileSync("bash", [path.join(REPO, "bench/photos.sh"), dir], { stdio: "inherit" });
    execFileSync("touch", [path.join(dir, ".complete")]);
  }
  return dir;
}
