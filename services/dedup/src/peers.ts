/**
 * Dedup checks its tokens with the hasher and the catalog (Auth.Check) before it takes the first
 * file: a missing or under-scoped BOORU_TOKEN stops the start with one line, instead of failing
 * on every file.
 */
import { checkAccess, ConfigError, type Peer, type Scope } from "@booru/runtime";

export interface PeerCheck {
  name: "hasher" | "catalog";
  peer: Peer;
  /** What dedup does there: `hash` at the hasher, `write` at the catalog. */
  scope: Scope;
}

export type PeersState = { ok: true } | { ok: false; waitingFor: string };

/** `ok` when every peer accepts the token; not ok when one did not answer yet; throws when one refuses it. */
export async function verifyPeers(checks: PeerCheck[], opts: { caFile?: string; timeoutMs: number }): Promise<PeersState> {
  const results = await Promise.all(checks.map(async (c) => ({ c, access: await checkAccess(c.peer.target, c.peer.token, c.scope, opts) })));
  for (const { c, access } of results) {
    if (access.kind === "denied") throw new ConfigError(refusal(c, access.message));
  }
  const waiting = results.flatMap(({ c, access }) => (access.kind === "unreachable" ? [`the ${c.name} at ${c.peer.target} (${access.message})`] : []));
  return waiting.length ? { ok: false, waitingFor: waiting.join(", ") } : { ok: true };
}

function refusal(c: PeerCheck, message: string): string {
  const presented = c.peer.local ? "this process's internal token" : c.peer.token ? "the token in BOORU_TOKEN" : "no token (BOORU_TOKEN is not set)";
  return `the ${c.name} at ${c.peer.target} refuses ${presented}: ${message}; dedup needs a token with the ${c.scope} scope there`;
}
