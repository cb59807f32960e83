import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { computeHashes, type PixelsTask } from "./compute.js";
import type { PerceptualHashes } from "./imagehash.js";

/** Runs the JS hashing in worker threads, or inline when size is 0. */
export interface HashPool {
  run(task: PixelsTask, signal?: AbortSignal): Promise<PerceptualHashes>;
  close(): Promise<void>;
}

/**
 * Worker threads run compiled JS: under vitest this module is the .ts source, so point at
 * the same file in dist/ (run `npx tsc -b` first).
 */
export function workerFile(moduleUrl = import.meta.url): string {
  const url = moduleUrl.endsWith(".ts") ? moduleUrl.replace(/\/src\/([^/]+)\.ts$/, "/dist/$1.js") : moduleUrl;
  return fileURLToPath(new URL("./worker.js", url));
}

export function createHashPool(size: number): HashPool {
  if (size === 0) {
    return { run: async (task) => computeHashes(task), close: async () => {} };
  }
  const piscina = new Piscina({
    filename: workerFile(),
    minThreads: 1,
    maxThreads: size,
    idleTimeout: 30_000,
    // A task's garbage is a few MB of short-lived typed arrays: a small young generation keeps
    // each worker's footprint low without costing time.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  return {
    // The pixels are copied, not transferred: the thumbnail is made from the same buffer meanwhile.
    run: (task, signal) => piscina.run(task, { signal }) as Promise<PerceptualHashes>,
    close: () => piscina.destroy(),
  };
}
