// Module hooks for loadedBy() (test/harness/loaded.ts): appends every module URL the process
// resolves to the file named by BOORU_LOADED_OUT.
import { appendFileSync } from "node:fs";

/** @type {import("node:module").ResolveHook} */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.BOORU_LOADED_OUT ?? "/dev/null", result.url + "\n");
  return result;
}
