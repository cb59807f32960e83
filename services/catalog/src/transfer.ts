/**
 * `booru export` / `booru import`: every record as one JSON line, `{"image": <Image JSON>,
 * "thumbnail"?: {"data": base64, "mime", "width", "height"}}`, so a collection can be loaded
 * from another system or moved between SQLite and MongoDB.
 */
import { catalogV1 } from "@booru/proto";
import type { ImagesRepo, StoredImage } from "./repos/types.js";
import { checkImage } from "./validate.js";

export function recordLine({ image, thumbnail }: StoredImage): string {
  const t = thumbnail && { data: thumbnail.data.toString("base64"), mime: thumbnail.mime, width: thumbnail.width, height: thumbnail.height };
  return JSON.stringify({ image: catalogV1.Image.toJSON(image), ...(t && { thumbnail: t }) });
}

/** One line back into a record, checked as PutImage checks one; the error names the line. */
export function parseRecordLine(line: string, lineNo: number): StoredImage {
  try {
    const json = JSON.parse(line) as { image?: unknown; thumbnail?: { data?: string; mime?: string; width?: number; height?: number } };
    const image = checkImage(catalogV1.Image.fromJSON(json.image ?? {}), Date.now());
    const t = json.thumbnail;
    if (!t) return { image };
    if (typeof t.data !== "string" || typeof t.mime !== "string") throw new Error("thumbnail needs data (base64) and mime");
    return { image, thumbnail: { data: Buffer.from(t.data, "base64"), mime: t.mime, width: Number(t.width) || 0, height: Number(t.height) || 0 } };
  } catch (err) {
    throw new Error(`line ${lineNo}: ${(err as Error).message}`, { cause: err });
  }
}

export interface ImportProgress {
  lines: number;
  created: number;
}

/**
 * Loads record lines in batches. Idempotent (a record whose md5 is there is skipped), so an
 * interrupted import is resumed by running it again. `afterBatch` sees each stored batch
 * (dedup's claims are written there) before progress is reported.
 */
export async function importRecords(images: ImagesRepo, lines: AsyncIterable<string>, opts: { batch?: number; afterBatch?: (records: StoredImage[]) => Promise<void>; progress?: (p: ImportProgress) => void }): Promise<ImportProgress> {
  const size = opts.batch ?? 1000;
  const p: ImportProgress = { lines: 0, created: 0 };
  let batch: StoredImage[] = [];
  const flush = async () => {
    p.created += await images.putMany(batch);
    await opts.afterBatch?.(batch);
    batch = [];
    opts.progress?.(p);
  };
  for await (const line of lines) {
    p.lines++;
    if (line.trim() === "") continue;
    batch.push(parseRecordLine(line, p.lines));
    if (batch.length >= size) await flush();
  }
  if (batch.length) await flush();
  return p;
}
