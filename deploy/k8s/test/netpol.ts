// A small NetworkPolicy evaluator (ingress only, label selectors, numeric ports): enough to ask
// "may pod A open a connection to pod B on port P" of the rendered policies.
import { selects } from "./policy.js";
import type { K8sObject } from "./render.js";

type Labels = Record<string, string>;

export interface Pod {
  namespace: string;
  labels: Labels;
}

const nsLabels = (ns: string): Labels => ({ "kubernetes.io/metadata.name": ns });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function peerMatches(peer: any, src: Pod, policyNs: string): boolean {
  if (peer.ipBlock) return false;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels(src.namespace)) : src.namespace === policyNs;
  const podOk = peer.podSelector ? selects(peer.podSelector, src.labels) : true;
  return nsOk && podOk;
}

export function ingressAllowed(objs: K8sObject[], src: Pod, dst: Pod, port: number): boolean {
  const policies = objs.filter(
    (o) =>
      o.kind === "NetworkPolicy" &&
      (o.metadata.namespace ?? dst.namespace) === dst.namespace &&
      (o.spec.policyTypes ?? ["Ingress"]).includes("Ingress") &&
      selects(o.spec.podSelector, dst.labels),
  );
  if (policies.length === 0) return true;
  return policies.some((p) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (p.spec.ingress ?? []).some((rule: any) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const portOk = !rule.ports || rule.ports.some((rp: any) => {
        if (typeof rp.port === "string") throw new Error("named ports are not supported by this evaluator");
        return rp.port === undefined || rp.port === port;
      });
      const fromOk = !rule.from || rule.from.some((peer: unknown) => peerMatches(peer, src, p.metadata.namespace ?? dst.namespace));
      return portOk && fromOk;
    }),
  );
}
