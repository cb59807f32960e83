import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { commonSettings, type Setting } from "@booru/runtime";
import { allModules } from "../../../packages/cli/src/modules.js";
import { API_SERVICES, BOORU_SERVICES, checkPolicy, containerEnv, podTemplate } from "./policy.js";
import { kubectlAvailable, renderAll, RENDER_TIMEOUT_MS, REPO_DIR, type K8sObject, type Rendered } from "./render.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const byName = (r: Rendered, kind: string, name: string) => r.objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const container = (o: K8sObject) => podTemplate(o).spec.containers[0];

/** A copy of a rendered combination with one manifest broken. */
function broken(r: Rendered, edit: (objs: K8sObject[], r: Rendered) => void): Rendered {
  const copy = structuredClone(r);
  edit(copy.objects, copy);
  return copy;
}

const without = (objs: K8sObject[], kind: string, name: string) => objs.splice(objs.findIndex((o) => o.kind === kind && o.metadata.name === name), 1);

describe.runIf(kubectlAvailable)("platform policy", () => {
  beforeAll(() => void renderAll(), RENDER_TIMEOUT_MS);

  it("holds for every workload of every overlay and component combination", () => {
    const all = renderAll();
    expect(all.flatMap(checkPolicy)).toEqual([]);
  });

  const dev = () => renderAll().find((r) => r.name === "dev")!;
  const cases: [string, (objs: K8sObject[], r: Rendered) => void, RegExp][] = [
    ["no readiness probe", (o, r) => delete container(byName({ ...r, objects: o }, "Deployment", "hasher")).readinessProbe, /hasher container hasher: no readinessProbe/],
    ["an HTTP probe instead of gRPC", (o, r) => (container(byName({ ...r, objects: o }, "Deployment", "catalog")).livenessProbe = { tcpSocket: { port: 50051 }, periodSeconds: 10, failureThreshold: 6 }), /catalog: livenessProbe must be a grpc probe/],
    ["no memory limit", (o, r) => delete container(byName({ ...r, objects: o }, "Deployment", "dedup")).resources.limits.memory, /dedup: no limits.memory/],
    ["a writable root filesystem", (o, r) => (container(byName({ ...r, objects: o }, "StatefulSet", "nats")).securityContext.readOnlyRootFilesystem = false), /nats: readOnlyRootFilesystem must be true/],
    ["capabilities kept", (o, r) => delete container(byName({ ...r, objects: o }, "Deployment", "watcher")).securityContext.capabilities, /watcher: capabilities.drop must include ALL/],
    ["privilege escalation", (o, r) => (container(byName({ ...r, objects: o }, "Job", "mongo-rs-init")).securityContext.allowPrivilegeEscalation = true), /rs-init: allowPrivilegeEscalation must be false/],
    ["running as root allowed", (o, r) => {
      const d = byName({ ...r, objects: o }, "Deployment", "hasher");
      delete podTemplate(d).spec.securityContext.runAsNonRoot;
      delete container(d).securityContext.runAsNonRoot;
    }, /hasher: runAsNonRoot must be true/],
    ["a grace period shorter than delay + drain", (o, r) => (podTemplate(byName({ ...r, objects: o }, "Deployment", "dedup")).spec.terminationGracePeriodSeconds = 30), /dedup: terminationGracePeriodSeconds \(30s\) must exceed/],
    ["no shutdown delay", (o) => {
      const cm = o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("booru-config"))!;
      delete cm.data!.BOORU_SHUTDOWN_DELAY;
    }, /needs BOORU_SHUTDOWN_DELAY > 0 or a preStop hook/],
    ["no PDB for a multi-replica service", (o) => without(o, "PodDisruptionBudget", "catalog"), /catalog: runs up to 2 replicas but no PodDisruptionBudget/],
    ["a PDB that blocks every eviction", (o, r) => (byName({ ...r, objects: o }, "PodDisruptionBudget", "dedup").spec.minAvailable = 2), /PodDisruptionBudget\/dedup blocks every eviction/],
    ["HPA below two hashers", (o, r) => (byName({ ...r, objects: o }, "HorizontalPodAutoscaler", "hasher").spec.minReplicas = 1), /HPA minReplicas must be >= 2/],
    ["no hasher HPA", (o) => without(o, "HorizontalPodAutoscaler", "hasher"), /hasher: no HorizontalPodAutoscaler/],
    ["hasher Service not headless", (o, r) => delete byName({ ...r, objects: o }, "Service", "hasher-headless").spec.clusterIP, /no headless Service/],
    ["dedup dialing the ClusterIP", (o) => {
      const cm = o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("booru-config"))!;
      cm.data!.BOORU_HASHER_ADDR = "hasher:50051";
    }, /BOORU_HASHER_ADDR \(hasher:50051\) must be dns:\/\/\/<headless hasher Service>/],
    ["no topology spread", (o, r) => delete podTemplate(byName({ ...r, objects: o }, "Deployment", "catalog")).spec.topologySpreadConstraints, /catalog: no topology spread/],
    ["replicas pinned under an HPA", (o, r) => (byName({ ...r, objects: o }, "Deployment", "hasher").spec.replicas = 3), /hasher: pins spec.replicas/],
    ["a shared ServiceAccount token", (o, r) => delete podTemplate(byName({ ...r, objects: o }, "Deployment", "hasher")).spec.automountServiceAccountToken, /hasher: automountServiceAccountToken must be false/],
    ["the library not mounted in dedup", (o, r) => {
      const c = container(byName({ ...r, objects: o }, "Deployment", "dedup"));
      c.volumeMounts = c.volumeMounts.filter((m: Any) => m.mountPath !== "/data/store");
    }, /dedup: BOORU_LIBRARY \(\/data\/store\/library\) is not on a persistent volume \(emptyDir\)/],
    ["the inbox mounted elsewhere in the watcher", (o, r) => {
      const c = container(byName({ ...r, objects: o }, "Deployment", "watcher"));
      c.volumeMounts.find((m: Any) => m.name === "inbox").mountPath = "/inbox";
    }, /watcher: BOORU_INBOX \(\/data\/inbox\) is not on a persistent volume/],
    ["wrong target", (o, r) => (container(byName({ ...r, objects: o }, "Deployment", "hasher")).args = ["run", "--target=all"]), /hasher: args must select --target=hasher/],
    ["a hasher without tokens", (o, r) => {
      const c = container(byName({ ...r, objects: o }, "Deployment", "hasher"));
      c.env = c.env.filter((e: Any) => e.name !== "BOORU_TOKENS_FILE");
    }, /Deployment\/hasher: serves an API on 0\.0\.0\.0:50051 without BOORU_TOKENS_FILE/],
    ["catalog tokens not from a Secret", (o, r) => {
      const d = byName({ ...r, objects: o }, "Deployment", "catalog");
      podTemplate(d).spec.volumes.find((v: Any) => v.name === "tokens").secret = undefined;
    }, /catalog: BOORU_TOKENS_FILE \(\/etc\/booru\/tokens\/tokens\) is not mounted from a Secret/],
  ];
  it.each(cases)("catches %s", (_label, edit, expected) => {
    const errs = checkPolicy(broken(dev(), edit));
    expect(errs.join("\n")).toMatch(expected);
  });

  it("knows which services need tokens: the modules that serve an API", () => {
    expect(allModules.filter((m) => m.servesApi).map((m) => m.name).sort()).toEqual([...API_SERVICES].sort());
  });

  it("sets only settings the services declare, each with a value they accept", () => {
    const known = new Map<string, Setting<unknown>>();
    for (const spec of [commonSettings, ...allModules.map((m) => m.settings)]) for (const st of Object.values(spec)) known.set(st.env, st as Setting<unknown>);
    expect(known.has("BOORU_SHUTDOWN_DELAY")).toBe(true);
    const problems: string[] = [];
    for (const r of renderAll()) {
      for (const svc of BOORU_SERVICES) {
        const c = container(byName(r, "Deployment", svc));
        const literal = containerEnv(c, r.objects);
        const names = new Set([...Object.keys(literal), ...(c.env ?? []).map((e: Any) => e.name)]);
        for (const name of names) {
          if (!/^(BOORU_|NATS_URL$|MONGO_URL$)/.test(name)) continue;
          const st = known.get(name);
          if (!st) problems.push(`${r.name} ${svc}: ${name} is not a setting of any module`);
          else if (literal[name] !== undefined) {
            try {
              st.parse(literal[name]!);
            } catch (err) {
              problems.push(`${r.name} ${svc}: ${(err as Error).message}`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("scales dedup (KEDA) on the lag of the durable consumer dedup really uses", () => {
    // dedup consumes as FILES_CONSUMER (its DEDUP_DURABLE), the name the catalog asks the depth of.
    const src = readFileSync(path.join(REPO_DIR, "packages/runtime/src/bus/types.ts"), "utf8");
    const durable = /FILES_CONSUMER\s*=\s*"([^"]+)"/.exec(src)?.[1];
    expect(durable).toBeTruthy();
    for (const r of renderAll().filter((x) => x.components.includes("keda"))) {
      const so = byName(r, "ScaledObject", "dedup");
      expect(so.spec.scaleTargetRef.name).toBe("dedup");
      const trig = so.spec.triggers.find((t: Any) => t.type === "nats-jetstream");
      expect(trig.metadata).toMatchObject({ stream: "INGEST", consumer: durable });
      expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    }
  });

  it("gives prod more replicas and ReadWriteMany volumes, dev its own NATS and MongoDB", () => {
    const prod = renderAll().find((r) => r.name === "prod")!;
    const d = dev();
    expect(byName(prod, "Deployment", "dedup").spec.replicas).toBeGreaterThan(byName(d, "Deployment", "dedup").spec.replicas);
    expect(byName(prod, "HorizontalPodAutoscaler", "hasher").spec.minReplicas).toBeGreaterThan(byName(d, "HorizontalPodAutoscaler", "hasher").spec.minReplicas);
    for (const pvc of prod.objects.filter((o) => o.kind === "PersistentVolumeClaim")) expect(pvc.spec.accessModes, pvc.metadata.name).toEqual(["ReadWriteMany"]);
    expect(prod.objects.filter((o) => o.kind === "StatefulSet")).toEqual([]);
    expect(prod.objects.filter((o) => o.kind === "Secret")).toEqual([]);
    const sts = d.objects.filter((o) => o.kind === "StatefulSet").map((o) => o.metadata.name).sort();
    expect(sts).toEqual(["mongo", "nats"]);
    for (const name of sts) expect(byName(d, "StatefulSet", name).spec.volumeClaimTemplates).toHaveLength(1);
    expect(container(byName(d, "StatefulSet", "mongo")).args).toContain("--replSet=rs0");
    expect(container(byName(d, "StatefulSet", "nats")).args).toContain("--jetstream");
  });
});
