/** Test records: deterministic md5s and plausible hashes, so every test builds the same shapes. */
import { createHash } from "node:crypto";
import { catalogV1, hasherV1 } from "@booru/proto";
import type { ImagesRepo } from "../src/repos/types.js";
import { batchRecords, type HashValues } from "../src/similarity.js";

export const md5Of = (seed: string) => createHash("md5").update(seed).digest("hex");
export const sha256Of = (seed: string) => createHash("sha256").update(seed).digest("hex");
const hexOf = (seed: string, chars: number) => createHash("sha512").update(seed).digest("hex").repeat(2).slice(0, chars);

export interface ImageOverrides {
  ingestedUnixMs?: number;
  format?: string;
  bytes?: number;
  phash64?: string;
  kind?: hasherV1.MediaKind;
  frameSignature?: string;
}

export function makeImage(seed: string, over: ImageOverrides = {}): catalogV1.Image {
  const md5 = md5Of(seed);
  const format = over.format ?? "jpeg";
  return catalogV1.Image.fromPartial({
    md5,
    hashes: {
      md5,
      sha256: sha256Of(seed),
      phash64: over.phash64 ?? hexOf(`p${seed}`, 16),
      dhash64: hexOf(`d${seed}`, 16),
      ahash64: hexOf(`a${seed}`, 16),
      phash256: hexOf(`P${seed}`, 64),
      blockhash256: hexOf(`b${seed}`, 64),
      colorhash42: hexOf(`c${seed}`, 11),
      frameSignature: over.frameSignature ?? "",
      hashVersion: 1,
    },
    info: { width: 640, height: 480, format, frames: 1, bytes: over.bytes ?? 1000, mime: `image/${format}`, kind: over.kind ?? hasherV1.MediaKind.IMAGE },
    originalName: `${seed}.${format}`,
    sourcePath: `sub/${seed}.${format}`,
    libraryPath: `${md5.slice(0, 2)}/${md5.slice(2, 4)}/${md5}.${format}`,
    ingestedUnixMs: over.ingestedUnixMs ?? 1_700_000_000_000,
    thumbnailWidth: 64,
    thumbnailHeight: 48,
    thumbnailMime: "image/webp",
  });
}

export function makeDuplicate(id: string, md5: string, at: number): catalogV1.Duplicate {
  return catalogV1.Duplicate.fromPartial({ id, md5, sourcePath: `dup/${id}.jpg`, disposition: catalogV1.Disposition.MOVED, storedPath: `${id}.jpg`, atUnixMs: at });
}

export function makeRejection(id: string, reason: string, at: number): catalogV1.Rejection {
  return catalogV1.Rejection.fromPartial({ id, sourcePath: `bad/${id}.jpg`, reason, message: `${reason} file`, storedPath: `${id}.jpg`, atUnixMs: at, attempts: 1 });
}

/** A plausible frame signature (16 phash64 values) from a seed. */
export const signatureOf = (seed: string) => hexOf(`s${seed}`, 128) + hexOf(`S${seed}`, 128);

/** Every record's similarity hashes, one by one, as a store's batches give them. */
export async function* allHashes(images: ImagesRepo): AsyncGenerator<{ md5: string; hashes: HashValues }> {
  for await (const batch of images.hashBatches()) yield* batchRecords(batch);
}
