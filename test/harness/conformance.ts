/**
 * The reference hash vectors and photos in ../shared/conformance (beside the repo). Outside CI
 * a checkout without them skips the tests that need them, with a warning; under CI (`CI=true`)
 * a missing ../shared fails the run instead of passing with those tests skipped.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CONFORMANCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance");
export const CONFORMANCE_IMAGES = path.join(CONFORMANCE, "images");

export const underCi = (env: NodeJS.ProcessEnv = process.env): boolean => Boolean(env.CI) && !["0", "false"].includes(env.CI!.toLowerCase());

/** True when the vectors are there; false (skip) outside CI; throws under CI. */
export function haveConformance(who: string, env: NodeJS.ProcessEnv = process.env, dir = CONFORMANCE): boolean {
  if (existsSync(path.join(dir, "expected.json"))) return true;
  const message = `${who}: ${dir} is missing (check out shared/ beside the repo)`;
  if (underCi(env)) throw new Error(`${message}; under CI this fails the run`);
  console.warn(`${message}; skipped`);
  return false;
}
