import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { BufferPool } from "./buffers.js";
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
  // Pixels reach a worker through shared memory, copied once into a buffer kept for reuse:
  // posting them would copy them twice (into the message and out of it) onto fresh pages, and
  // transferring them is not an option, the thumbnail is made from the same pixels meanwhile.
  const shared = new BufferPool((n) => new Uint8Array(new SharedArrayBuffer(n)), 16 << 20);
  return {
    async run(task, signal) {
      const lease = shared.lease(task.pixels.length);
      lease.view.set(task.pixels);
      try {
        return (await piscina.run({ ...task, pixels: lease.view }, { signal })) as PerceptualHashes;
      } finally {
        // Safe even after an abort: a worker only reads the pixels, and an aborted one's answer is dropped.
        lease.release();
      }
    },
    close: () => piscina.destroy(),
  };
}
