import { beforeAll, describe, expect, it } from "vitest";
import { connectionAllowed, egressAllowed, ingressAllowed, type Pod } from "./netpol.js";
import { podTemplate } from "./policy.js";
import { kubectlAvailable, NAMESPACE, renderAll, RENDER_TIMEOUT_MS, type K8sObject } from "./render.js";

const pod = (name: string, extra: Record<string, string> = {}, namespace = NAMESPACE): Pod => ({ namespace, labels: { "app.kubernetes.io/name": name, ...extra } });
const other = pod("something-else");
const client = pod("web", { "booru.io/catalog-client": "true" }, "frontend");
const prometheus = pod("prometheus", {}, "monitoring");

/** Who may connect to whom: the rules of issue 7 (and 17: the console). */
const RULES: [string, Pod, string, number, boolean][] = [
  ["dedup -> hasher", pod("dedup"), "hasher", 50051, true],
  ["watcher -> hasher", pod("watcher"), "hasher", 50051, false],
  ["catalog -> hasher", pod("catalog"), "hasher", 50051, false],
  ["any pod -> hasher", other, "hasher", 50051, false],
  ["dedup -> catalog", pod("dedup"), "catalog", 50051, true],
  ["labelled client in another namespace -> catalog", client, "catalog", 50051, true],
  ["unlabelled pod -> catalog", other, "catalog", 50051, false],
  ["hasher -> catalog", pod("hasher"), "catalog", 50051, false],
  ["labelled client -> hasher", client, "hasher", 50051, false],
  ["watcher -> nats", pod("watcher"), "nats", 4222, true],
  ["dedup -> nats", pod("dedup"), "nats", 4222, true],
  ["catalog -> nats", pod("catalog"), "nats", 4222, true],
  ["hasher -> nats", pod("hasher"), "nats", 4222, false],
  ["any pod -> nats", other, "nats", 4222, false],
  ["KEDA -> nats monitoring", pod("keda-operator", {}, "keda"), "nats", 8222, true],
  ["dedup -> mongo", pod("dedup"), "mongo", 27017, true],
  ["catalog -> mongo", pod("catalog"), "mongo", 27017, true],
  ["watcher -> mongo", pod("watcher"), "mongo", 27017, false],
  ["hasher -> mongo", pod("hasher"), "mongo", 27017, false],
  ["any pod -> mongo", other, "mongo", 27017, false],
  ["any pod -> dedup", other, "dedup", 50051, false],
  ["prometheus -> hasher metrics", prometheus, "hasher", 9464, true],
  ["prometheus -> hasher gRPC", prometheus, "hasher", 50051, false],
  ["any pod -> catalog metrics", other, "catalog", 9464, false],
  ["console -> catalog", pod("console"), "catalog", 50051, true],
  ["console -> hasher", pod("console"), "hasher", 50051, true],
  ["console -> nats", pod("console"), "nats", 4222, false],
  ["console -> mongo", pod("console"), "mongo", 27017, false],
  ["console -> dedup (originals from the library)", pod("console"), "dedup", 50051, true],
  ["catalog -> dedup", pod("catalog"), "dedup", 50051, false],
  ["labelled client -> dedup", client, "dedup", 50051, false],
  ["console -> watcher", pod("console"), "watcher", 50051, false],
  ["any pod -> console web", other, "console", 8080, true],
  ["any pod -> console gRPC", other, "console", 50051, false],
];

/** The labels of the pods a workload named `name` runs (so the test follows the manifests). */
function podLabels(objs: K8sObject[], name: string): Record<string, string> {
  const w = objs.find((o) => ["Deployment", "StatefulSet"].includes(o.kind) && o.metadata.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  return podTemplate(w).metadata!.labels!;
}

describe.runIf(kubectlAvailable)("NetworkPolicies", () => {
  beforeAll(() => void renderAll(), RENDER_TIMEOUT_MS);

  const withPolicies = () => renderAll().filter((r) => r.objects.some((o) => o.kind === "NetworkPolicy"));

  it("are rendered by the component and by prod", () => {
    const names = withPolicies().map((r) => r.name);
    expect(names).toContain("dev+network-policies");
    expect(names).toContain("prod");
  });

  it.each(RULES)("%s", (_label, src, dstName, port, expected) => {
    for (const r of withPolicies()) {
      if (r.overlay === "prod" && ["nats", "mongo"].includes(dstName)) continue; // external in prod
      const srcPod = src.namespace === NAMESPACE && ["watcher", "dedup", "hasher", "catalog", "console"].includes(src.labels["app.kubernetes.io/name"]!)
        ? { namespace: NAMESPACE, labels: podLabels(r.objects, src.labels["app.kubernetes.io/name"]!) }
        : src;
      const dst = { namespace: NAMESPACE, labels: podLabels(r.objects, dstName) };
      expect(connectionAllowed(r.objects, srcPod, dst, port), r.name).toBe(expected);
    }
  });

  it("keep the console's own connections to what it calls (its egress policy)", () => {
    for (const r of withPolicies()) {
      const console = { namespace: NAMESPACE, labels: podLabels(r.objects, "console") };
      for (const to of ["catalog", "hasher", "dedup"]) expect(egressAllowed(r.objects, console, { namespace: NAMESPACE, labels: podLabels(r.objects, to) }, 50051), `${r.name}: console -> ${to}`).toBe(true);
      expect(egressAllowed(r.objects, console, client, 8080), `${r.name}: console -> a pod elsewhere`).toBe(false);
    }
  });

  it("allow everything where no policy applies (so the matrix above is not vacuous)", () => {
    const dev = renderAll().find((r) => r.name === "dev")!;
    expect(ingressAllowed(dev.objects, other, { namespace: NAMESPACE, labels: podLabels(dev.objects, "hasher") }, 50051)).toBe(true);
  });
});
