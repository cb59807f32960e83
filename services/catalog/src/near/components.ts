import type { SimilarPair } from "./types.js";

/** Connected components of `nodes` over `edges` (pairs whose both ends are in nodes), each sorted. */
export function components(nodes: Iterable<string>, edges: SimilarPair[]): string[][] {
  const parent = new Map<string, string>();
  for (const n of nodes) parent.set(n, n);
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (parent.get(x) !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  for (const e of edges) {
    if (!parent.has(e.a) || !parent.has(e.b)) continue;
    const ra = find(e.a);
    const rb = find(e.b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const byRoot = new Map<string, string[]>();
  for (const n of parent.keys()) {
    const r = find(n);
    byRoot.set(r, [...(byRoot.get(r) ?? []), n]);
  }
  return [...byRoot.values()].map((c) => c.sort());
}
