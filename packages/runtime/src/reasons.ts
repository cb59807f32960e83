/**
 * The one mapping between booru.ingest.v1.Reason and the kebab-case strings users see in
 * reason.json, the catalog's records, the "booru-reason" trailer and the CLI
 * (REASON_TOO_MANY_PIXELS <-> "too-many-pixels"). Derived from the enum's names, so a reason
 * added to reason.proto needs no change here.
 */
import { Reason } from "@booru/proto";

export { Reason };

const toName = (key: string) => key.toLowerCase().replace(/_/g, "-");

const BY_NAME = new Map<string, Reason>(
  Object.entries(Reason)
    .filter((e): e is [string, Reason] => typeof e[1] === "number" && e[1] !== Reason.UNSPECIFIED)
    .map(([key, value]) => [toName(key), value]),
);

/** Every reason as users see it, in the enum's order. */
export const REASON_NAMES: readonly string[] = [...BY_NAME.keys()];

/** "too-many-pixels" for Reason.TOO_MANY_PIXELS. */
export function reasonName(reason: Reason): string {
  const key = Reason[reason];
  if (key === undefined || reason === Reason.UNSPECIFIED) throw new Error(`not a rejection reason: ${reason}`);
  return toName(key);
}

/** The reason a user-facing string names, or undefined. */
export function parseReason(name: string): Reason | undefined {
  return BY_NAME.get(name);
}
