// A small NetworkPolicy evaluator (label selectors, numeric ports): enough to ask "may pod A
// open a connection to pod B on port P" of the rendered policies, on both ends (B's ingress,
// A's egress).
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
  return allowedBy(objs, "Ingress", dst, port, (peer, policyNs) => peerMatches(peer, src, policyNs));
}

/** The source's side: egress policies selecting it must let it reach the destination. */
export function egressAllowed(objs: K8sObject[], src: Pod, dst: Pod, port: number): boolean {
  return allowedBy(objs, "Egress", src, port, (peer, policyNs) => peerMatches(peer, dst, policyNs));
}

export function connectionAllowed(objs: K8sObject[], src: Pod, dst: Pod, port: number): boolean {
  return ingressAllowed(objs, src, dst, port) && egressAllowed(objs, src, dst, port);
}

/** `pod`'s policies of one direction: none selecting it allows all; else one rule must match peer and port. */
function allowedBy(objs: K8sObject[], type: "Ingress" | "Egress", pod: Pod, port: number, matches: (peer: unknown, policyNs: string) => boolean): boolean {
  const policies = objs.filter(
    (o) =>
      o.kind === "NetworkPolicy" &&
      (o.metadata.namespace ?? pod.namespace) === pod.namespace &&
      (o.spec.policyTypes ?? ["Ingress"]).includes(type) &&
      selects(o.spec.podSelector, pod.labels),
  );
  if (policies.length === 0) return true;
  const field = type === "Ingress" ? "ingress" : "egress";
  const peers = type === "Ingress" ? "from" : "to";
  return policies.some((p) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (p.spec[field] ?? []).some((rule: any) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const portOk = !rule.ports || rule.ports.some((rp: any) => {
        if (typeof rp.port === "string") throw new Error("named ports are not supported by this evaluator");
        return rp.port === undefined || rp.port === port;
      });
      const peerOk = !rule[peers] || rule[peers].some((peer: unknown) => matches(peer, p.metadata.namespace ?? pod.namespace));
      return portOk && peerOk;
    }),
  );
}
