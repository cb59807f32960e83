import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { computeHashes, type PixelsTask } from "./compute.js";
import type { PerceptualHashes } from "./imagehash.js";
import { decodeHeif, type HeifResult } from "./media/heif.js";

/** Runs the JS hashing and the HEIC decoder in worker threads, or inline when size is 0. */
export interface HashPool {
  run(task: PixelsTask, signal?: AbortSignal): Promise<PerceptualHashes>;
  /** A HEIC's primary image; an abort terminates the worker decoding it. */
  heif(bytes: Buffer, maxPixels: number, signal?: AbortSignal): Promise<HeifResult>;
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

/** A worker's answer: typed arrays come back as Uint8Array, the decoders want Buffers. */
function asBuffers(res: HeifResult): HeifResult {
  if (!("image" in res)) return res;
  const p = res.image.pixels as Uint8Array;
  return { image: { ...res.image, pixels: Buffer.from(p.buffer, p.byteOffset, p.byteLength) } };
}

export function createHashPool(size: number): HashPool {
  if (size === 0) {
    return { run: async (task) => computeHashes(task), heif: (bytes, maxPixels) => decodeHeif(bytes, maxPixels), close: async () => {} };
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
    heif: async (bytes, maxPixels, signal) => asBuffers((await piscina.run({ bytes, maxPixels }, { name: "heif", signal })) as HeifResult),
    close: () => piscina.destroy(),
  };
}
