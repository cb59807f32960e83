import { beforeAll, describe, expect, it } from "vitest";
import { combinations, COMPONENTS, kubectlAvailable, NAMESPACE, renderAll, RENDER_TIMEOUT_MS, subsets } from "./render.js";
import { validateObject } from "./schema.js";

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"]);

describe.runIf(kubectlAvailable)("kustomize overlays and components", () => {
  beforeAll(() => void renderAll(), RENDER_TIMEOUT_MS);

  it("covers every overlay with every subset of the components it does not already include", () => {
    expect(subsets(["a", "b"])).toEqual([[], ["a"], ["b"], ["a", "b"]]);
    const names = combinations().map((c) => [c.overlay, ...c.components].join("+"));
    expect(names).toContain("dev");
    expect(names).toContain(`dev+${COMPONENTS.join("+")}`);
    expect(names).toContain("prod+keda+tls+monitoring");
    expect(names).toContain("local+keda+tls+monitoring");
    // prod and local list network-policies themselves; the others come on top: 2^4 + 2^3 + 2^3.
    expect(names).toHaveLength(32);
  });

  it("renders every combination with kubectl kustomize", () => {
    for (const r of renderAll()) {
      const kinds = new Set(r.objects.map((o) => o.kind));
      for (const k of ["Deployment", "Service", "ServiceAccount", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget"]) expect(kinds, r.name).toContain(k);
      if (r.components.includes("keda")) expect(kinds, r.name).toContain("ScaledObject");
      if (r.components.includes("monitoring")) expect([...kinds], r.name).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
      if (r.components.includes("tls")) expect(kinds, r.name).toContain("Certificate");
      if (r.components.includes("network-policies") || r.overlay === "prod") expect(kinds, r.name).toContain("NetworkPolicy");
    }
  });

  it("validates every rendered object against the Kubernetes schemas (CRDs: their required shape)", () => {
    const problems = renderAll().flatMap((r) => r.objects.flatMap((o) => validateObject(o).map((e) => `${r.name} ${o.kind}/${o.metadata.name}: ${e}`)));
    expect(problems).toEqual([]);
  });

  it("puts every namespaced object in the overlay's namespace, each name once per kind", () => {
    for (const r of renderAll()) {
      const keys = r.objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i), r.name).toEqual([]);
      const stray = r.objects.filter((o) => !CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace !== NAMESPACE);
      expect(stray.map((o) => `${o.kind}/${o.metadata.name}`), r.name).toEqual([]);
    }
  });

  it("rejects objects that break the schema", () => {
    const deployment = renderAll()[0]!.objects.find((o) => o.kind === "Deployment")!;
    const broken = structuredClone(deployment);
    broken.spec.replicas = "two";
    broken.spec.template.spec.containers[0].readinessProbe = { grpc: { port: "grpc" } };
    const errs = validateObject(broken);
    expect(errs.join("\n")).toMatch(/replicas must be integer/);
    expect(errs.join("\n")).toMatch(/grpc\/port must be integer/);
    expect(validateObject({ apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "x" }, spec: { scaleTargetRef: { name: "d" }, triggers: [{ type: "nats-jetstream", metadata: { stream: "INGEST" } }] } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/consumer is required/)]),
    );
    expect(validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } })).toEqual(["no schema for example.com/v1 Widget"]);
  });
});

if (!kubectlAvailable) {
  describe("kustomize overlays and components", () => {
    it.skip("kubectl is not installed: the manifests were not rendered, validated or checked against the policy", () => {});
  });
}
