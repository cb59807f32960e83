/**
 * The deployment on a real Kubernetes cluster built on this machine (scripts/cluster/up):
 * deploy/k8s/overlays/local applied with kubectl, real photos through the inbox volume, the
 * hasher HPA scaling under load, pods killed mid-batch and a rolling update, and the network
 * policies enforced. Brings the cluster up first and down at the end, also when a step fails
 * (BOORU_CLUSTER_KEEP=1 leaves it up for a look). `npm run test:cluster`.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth } from "@booru/runtime";
import { waitFor } from "../harness/files.js";
import {
  booru,
  claimPath,
  clusterScript,
  crash,
  hasherScale,
  kubectl,
  kubectlAsync,
  nodeAddress,
  OUT,
  OVERLAY,
  photoDir,
  pods,
  waitRolledOut,
  type Scale,
} from "./cluster.js";
import { badFiles, books, dropInto, libraryMd5s, md5, photos, retag, settled, type Books, type Drop } from "./files.js";
import { baselineUp } from "./baseline.js";

const UP_MS = 45 * 60_000;
const BATCH_MS = 15 * 60_000;
const PHOTOS = 200;
const DUPLICATES = 20;

let inbox = "";
let badCount = 0;
let store = "";
let catalog = "";
/** Every file dropped so far, and the distinct contents among them. */
const dropped: Drop[] = [];
const figures: string[] = [];

function note(line: string): void {
  figures.push(line);
  console.log(`[cluster] ${line}`);
}

/**
 * Drops files (half at the top of the inbox, half in a new folder) and waits until every file
 * dropped so far has left the inbox for the store. `during` sees the share of this batch done.
 */
async function ingest(files: Drop[], label: string, during?: (done: number) => Promise<void>): Promise<{ seconds: number; books: Books }> {
  const before = dropped.length;
  dropped.push(...files);
  const started = Date.now();
  dropInto(inbox, files.slice(0, Math.ceil(files.length / 2)));
  dropInto(inbox, files.slice(Math.ceil(files.length / 2)), label.replace(/\W+/g, "-"));
  const done = await waitFor(`${label}: ${dropped.length} files settled`, async () => {
    const b = books(inbox, store);
    await during?.((settled(b) - before) / files.length);
    return settled(b) >= dropped.length && b.inbox.length === 0 ? b : undefined;
  }, BATCH_MS, 1000);
  const seconds = (Date.now() - started) / 1000;
  note(`${label}: ${files.length} files in ${seconds.toFixed(1)} s = ${(files.length / seconds).toFixed(2)} files/s`);
  return { seconds, books: done };
}

/** Every file accounted for exactly once: each content once in the library and the catalog, copies in duplicates/, bad files in rejected/ with a reason. */
async function expectAccounted(bad: number): Promise<void> {
  const b = books(inbox, store);
  const unique = new Set(dropped.filter((d) => !d.name.startsWith("bad-")).map((d) => md5(d.bytes)));
  expect(b.inbox).toEqual([]);
  expect(new Set(libraryMd5s(b))).toEqual(unique);
  expect(b.library).toHaveLength(unique.size);
  expect(b.duplicates).toHaveLength(dropped.length - bad - unique.size);
  expect(b.rejected).toHaveLength(bad);
  expect(b.reasons).toHaveLength(bad);
  const listed = JSON.parse(await booru(catalog, ["ls", "--all", "--json"])) as { images: { md5: string }[] };
  const md5s = listed.images.map((i) => i.md5);
  expect(md5s).toHaveLength(unique.size);
  expect(new Set(md5s)).toEqual(unique);
}

describe("booru on a local Kubernetes cluster", () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const up = await clusterScript("up", UP_MS);
    if (up.code !== 0) throw new Error(`scripts/cluster/up failed (exit ${up.code}); ${OUT}/up.log:\n${up.tail}`);
    note(`scripts/cluster/up: ${up.seconds.toFixed(0)} s`);
    // A fresh namespace: a previous run's objects and volumes must not count here.
    await kubectlAsync(["delete", "namespace", "booru", "--ignore-not-found", "--wait=true"], 300_000);
    const volumes = await clusterScript("volumes.sh", 120_000);
    if (volumes.code !== 0) throw new Error(`volumes.sh failed:\n${volumes.tail}`);
  }, UP_MS + 10 * 60_000);

  afterAll(async () => {
    await diagnostics();
    writeFileSync(path.join(OUT, "figures.txt"), figures.join("\n") + "\n");
    if (process.env.BOORU_CLUSTER_KEEP === "1") return;
    const down = await clusterScript("down", 10 * 60_000);
    expect(down.code, `scripts/cluster/down left the machine unclean:\n${down.tail}`).toBe(0);
  }, 15 * 60_000);

  it("deploys with kubectl apply -k: every workload rolled out, every pod Ready, gRPC health SERVING on each pod", async () => {
    const started = Date.now();
    await kubectlAsync(["apply", "-k", OVERLAY], 300_000);
    const rolled = await waitRolledOut(600_000);
    note(`apply -k to every workload rolled out (${rolled.join(", ")}): ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(rolled).toEqual(expect.arrayContaining(["deployment/watcher", "deployment/dedup", "deployment/hasher", "deployment/catalog", "statefulset/nats", "statefulset/mongo"]));
    const all = await pods();
    expect(all.filter((p) => !p.ready).map((p) => p.name)).toEqual([]);
    for (const p of all.filter((p) => ["watcher", "dedup", "hasher", "catalog"].includes(p.app))) {
      expect(p.probes, p.name).toEqual(expect.arrayContaining([`${p.app}.readinessProbe:grpc`, `${p.app}.livenessProbe:grpc`]));
      expect(await checkHealth(`${p.ip}:50051`), `${p.name} health`).toBe("SERVING");
    }
    catalog = `${await nodeAddress()}:30051`;
    inbox = await claimPath("booru-inbox");
    store = await claimPath("booru-store");
  }, 15 * 60_000);

  it("enforces the NetworkPolicies (kube-router): an unlisted pod is refused, a catalog client reaches the catalog and nothing else", async () => {
    const probe = async (name: string, labels: Record<string, string>, target: string) => {
      const overrides = {
        metadata: { labels: { "app.kubernetes.io/name": name, ...labels } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [{
            name,
            image: "localhost/booru/booru:local",
            imagePullPolicy: "Never",
            command: ["node", "-e", CONNECT, target],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          }],
        },
      };
      await kubectlAsync(["run", name, "--restart=Never", "--image=localhost/booru/booru:local", `--overrides=${JSON.stringify(overrides)}`]);
      try {
        await waitFor(`${name} finished`, async () => ["Succeeded", "Failed"].includes((await pods(`app.kubernetes.io/name=${name}`))[0]?.phase ?? ""), 180_000, 1000);
        return (await kubectlAsync(["logs", name])).trim().split("\n").pop();
      } finally {
        await kubectlAsync(["delete", "pod", name, "--wait=false"]);
      }
    };
    expect(await probe("np-plain", {}, "hasher:50051")).toBe("refused");
    expect(await probe("np-plain-catalog", {}, "catalog:50051")).toBe("refused");
    expect(await probe("np-client", { "booru.io/catalog-client": "true" }, "catalog:50051")).toBe("connected");
    expect(await probe("np-client-hasher", { "booru.io/catalog-client": "true" }, "hasher:50051")).toBe("refused");
    // dedup's Library API (the originals) answers the web console only.
    expect(await probe("np-client-dedup", { "booru.io/catalog-client": "true" }, "dedup:50051")).toBe("refused");
    note("NetworkPolicies enforced by kube-router: an unlisted pod is refused by hasher and catalog; a catalog-client pod reaches the catalog and is refused by the hasher and by dedup");
  }, 10 * 60_000);

  let set: Drop[] = [];
  it(`ingests ${PHOTOS} real photos, ${DUPLICATES} copies and bad files through the inbox volume: each exactly once, the catalog answers through its Service`, async () => {
    set = photos(photoDir(), PHOTOS);
    const copies = set.slice(0, DUPLICATES).map((d, i) => ({ name: `copy-${i}-${d.name}`, bytes: d.bytes }));
    const bad = badFiles(set.find((d) => /\.jpe?g$/i.test(d.name))!.bytes);
    badCount = bad.length;
    const { seconds } = await ingest([...set, ...copies, ...bad], "first batch");
    await expectAccounted(bad.length);
    const stats = JSON.parse(await booru(catalog, ["stats", "--json"])) as { images: number; duplicates: number; rejected: number };
    expect(stats).toMatchObject({ images: PHOTOS, duplicates: DUPLICATES, rejected: bad.length });
    const base = await baselineUp([...set, ...copies, ...bad]);
    note(`booru up (one process, same ${set.length + copies.length + bad.length} files, same machine, cluster idle): ${base.seconds.toFixed(1)} s = ${(base.files / base.seconds).toFixed(2)} files/s; in-cluster / booru up = ${(base.seconds / seconds).toFixed(2)}`);
  }, BATCH_MS + 10 * 60_000);

  it("scales the hasher Deployment up under load and back to its minimum after (CPU HPA, metrics-server)", async () => {
    const min = 2;
    await waitFor("hasher at its minimum before the batch", async () => (await hasherScale()).replicas === min, 5 * 60_000, 2000);
    const timeline: (Scale & { t: number; settled: number })[] = [];
    const t0 = Date.now();
    let done = 0;
    const sample = async () => {
      const s = await hasherScale().catch(() => undefined);
      if (s) timeline.push({ ...s, t: (Date.now() - t0) / 1000, settled: settled(books(inbox, store)) - done });
    };
    const sampler = setInterval(() => void sample(), 2000);
    try {
      done = settled(books(inbox, store));
      const batch = [...retag(set, "load-a"), ...retag(set, "load-b")];
      await ingest(batch, "load batch");
      const batchEnd = (Date.now() - t0) / 1000;
      await waitFor("hasher back at its minimum", async () => (await hasherScale()).replicas === min, 5 * 60_000, 2000);
      await sample();
      const peak = Math.max(...timeline.map((s) => s.replicas));
      writeTimeline(timeline, batchEnd);
      expect(peak, "the HPA added hashers while the batch ran").toBeGreaterThan(min);
      expect(timeline.some((s) => s.t <= batchEnd && s.replicas > min), "more hashers while the batch was running").toBe(true);
      expect(timeline.at(-1)!.replicas).toBe(min);
    } finally {
      clearInterval(sampler);
    }
    await expectAccounted(badCount);
  }, BATCH_MS + 15 * 60_000);

  it("loses and duplicates nothing when a hasher, a dedup and the catalog pod are killed mid-batch, then through a rolling update of the hasher", async () => {
    const killed: string[] = [];
    const kill = async (done: number) => {
      if (killed.length > 0 || done < 0.25) return;
      const [hasher] = await pods("app.kubernetes.io/name=hasher");
      const [dedup] = await pods("app.kubernetes.io/name=dedup");
      crash(hasher!);
      crash(dedup!);
      const catalogs = await pods("app.kubernetes.io/name=catalog");
      await kubectlAsync(["delete", "pod", ...catalogs.map((p) => p.name), "--grace-period=0", "--force", "--wait=false"]);
      killed.push(`hasher ${hasher!.name} (SIGKILL)`, `dedup ${dedup!.name} (SIGKILL)`, ...catalogs.map((p) => `catalog ${p.name} (force-deleted)`));
      note(`killed mid-batch at ${(done * 100).toFixed(0)}% of the batch: ${killed.join(", ")}`);
    };
    const crashBatch = [...retag(set, "crash"), ...set.slice(40, 60).map((d, i) => ({ name: `copy-crash-${i}-${d.name}`, bytes: d.bytes }))];
    await ingest(crashBatch, "batch with killed pods", kill);
    expect(killed.length).toBeGreaterThanOrEqual(3);
    await waitRolledOut(600_000);
    await expectAccounted(badCount);

    const before = (await pods("app.kubernetes.io/name=hasher")).map((p) => p.name);
    let restarted = false;
    await ingest(retag(set, "rollout"), "batch during a hasher rolling update", async (done) => {
      if (restarted || done < 0.2) return;
      restarted = true;
      kubectl(["rollout", "restart", "deployment/hasher"]);
    });
    await kubectlAsync(["rollout", "status", "deployment/hasher", "--timeout=600s"], 620_000);
    const after = (await pods("app.kubernetes.io/name=hasher")).filter((p) => !p.deleting).map((p) => p.name);
    expect(after.filter((n) => before.includes(n)), "every hasher pod replaced").toEqual([]);
    await expectAccounted(badCount);
  }, 2 * BATCH_MS + 15 * 60_000);
});

/**
 * Connects to HOST:PORT from inside a pod, again and again for 20 s: "connected" as soon as one
 * attempt gets through (kube-router adds a new pod to the policies' address sets within seconds),
 * else how the last one failed: "refused" (kube-router rejects) or "blocked" (no answer at all).
 */
const CONNECT = `
const [host, port] = process.argv[1].split(":");
const until = Date.now() + 20000;
let last = "none";
const attempt = () => {
  if (Date.now() > until) return console.log(last);
  const s = require("net").connect({ host, port: Number(port), timeout: 3000 });
  const retry = (outcome) => { last = outcome; s.destroy(); setTimeout(attempt, 1000); };
  s.on("connect", () => { console.log("connected"); s.destroy(); });
  s.on("timeout", () => retry("blocked"));
  s.on("error", (e) => retry(e.code === "ECONNREFUSED" ? "refused" : "error " + e.code));
};
attempt();
`;

function writeTimeline(timeline: (Scale & { t: number; settled: number })[], batchEnd: number): void {
  const lines = ["t_s\treplicas\tready\tdesired\tcpu_pct_of_request\tfiles_settled\tfiles_per_s"];
  timeline.forEach((s, i) => {
    const prev = timeline[i - 1];
    const rate = prev ? (s.settled - prev.settled) / (s.t - prev.t) : 0;
    lines.push([s.t.toFixed(0), s.replicas, s.ready, s.desired ?? "", s.cpu ?? "", s.settled, rate.toFixed(2)].join("\t"));
  });
  lines.push(`# batch settled at t=${batchEnd.toFixed(0)} s`);
  const file = path.join(OUT, "hasher-scaling.tsv");
  writeFileSync(file, lines.join("\n") + "\n");
  console.log(`[cluster] hasher scaling timeline (${file}):\n${lines.join("\n")}`);
  figures.push(`hasher scaling timeline: ${file}`);
}

/** On the way out: what the cluster looked like, for a failure the assertions do not explain. */
async function diagnostics(): Promise<void> {
  const file = path.join(OUT, "diagnostics.txt");
  writeFileSync(file, "");
  for (const args of [["get", "all,pvc,hpa,networkpolicy", "-o", "wide"], ["get", "events", "--sort-by=.lastTimestamp"], ["top", "pods"]]) {
    const out = await kubectlAsync(args, 60_000).catch((e: Error) => e.message);
    appendFileSync(file, `$ kubectl ${args.join(" ")}\n${out}\n`);
  }
  for (const app of ["watcher", "dedup", "hasher", "catalog", "mongo", "nats"]) {
    const out = await kubectlAsync(["logs", "-l", `app.kubernetes.io/name=${app}`, "--all-containers", "--tail=60", "--prefix"], 60_000).catch((e: Error) => e.message);
    appendFileSync(file, `--- logs ${app}\n${out}\n`);
  }
}
