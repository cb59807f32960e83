/** Hashing a local file through the same service as the server, with no server. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { hasherV1 } from "@booru/proto";
import { createHashPool, type HashPool } from "./pool.js";
import { HashService } from "./service.js";
import { defaultHasherConfig } from "./settings.js";

let shared: { service: HashService; pool: HashPool } | undefined;

function localService(): HashService {
  // In-thread hashing: a CLI run hashes a handful of files; a thread pool would only add start-up time.
  shared ??= (() => {
    const pool = createHashPool(0);
    return { pool, service: new HashService(defaultHasherConfig(), pool) };
  })();
  return shared.service;
}

/** Closes the pool local hashing opened (if any); a later hashLocalFile opens a new one. */
export async function closeLocalHashing(): Promise<void> {
  const opened = shared;
  shared = undefined;
  await opened?.pool.close();
}

export async function hashLocalFile(path: string, opts: { thumbnail?: boolean } = {}): Promise<hasherV1.HashResponse> {
  const { size } = await stat(path);
  return localService().hash(createReadStream(path, { highWaterMark: 1024 * 1024 }), {
    fileName: path,
    size,
    thumbnail: { skip: !opts.thumbnail },
  });
}
