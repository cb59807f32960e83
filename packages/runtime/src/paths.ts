import { realpath } from "node:fs/promises";
import path from "node:path";

export class OutsideRootError extends Error {
  override name = "OutsideRootError";
}

/** True when `child` is `root` or inside it (both absolute and normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Resolves a path taken from a message or a request against its root, following symlinks,
 * and refuses anything that ends up outside the root.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (relative.includes("\0")) throw new OutsideRootError("path contains a NUL byte");
  const realRoot = await realpath(root);
  const joined = path.resolve(realRoot, relative);
  if (!isInside(realRoot, joined)) throw new OutsideRootError(`${relative} is outside ${root}`);
  const real = await realpath(joined);
  if (!isInside(realRoot, real)) throw new OutsideRootError(`${relative} resolves outside ${root}`);
  return real;
}
