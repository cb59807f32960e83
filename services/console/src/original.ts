/**
 * An image's original file over HTTP, streamed from the library as the browser takes it: the
 * type from the record's format, byte ranges (a video seeks), long caching (the md5 names the
 * bytes), and nothing a browser could run: no sniffing, a CSP that allows no script, and only
 * plain picture and video types shown inline (anything else is a download).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { catalogV1 } from "@booru/proto";
import { HttpError } from "./http.js";
import type { Pipeline } from "./pipeline.js";

/** Formats (ImageInfo.format) a browser shows by itself, with their types. */
const INLINE: Record<string, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  bmp: "image/bmp",
  mp4: "video/mp4",
  m4v: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
};
/** Formats given their own type but only as a download. */
const DOWNLOAD: Record<string, string> = {
  tiff: "image/tiff",
  heic: "image/heic",
  jxl: "image/jxl",
  mkv: "video/x-matroska",
  avi: "video/x-msvideo",
  zip: "application/zip",
  ugoira: "application/zip",
};

export interface OriginalType {
  mime: string;
  /** Shown in the page (an img or a video); false: offered as a download only. */
  inline: boolean;
}

/** Anything not listed (an SVG, an HTML page, a format added later) is a download of bytes. */
export function originalType(format: string | undefined): OriginalType {
  const f = format ?? "";
  if (Object.hasOwn(INLINE, f)) return { mime: INLINE[f]!, inline: true };
  return { mime: Object.hasOwn(DOWNLOAD, f) ? DOWNLOAD[f]! : "application/octet-stream", inline: false };
}

/** The response's own policy: a picture or a video and nothing else; no script, ever. */
const ORIGINAL_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
const YEAR_S = 365 * 24 * 3600;

/**
 * One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`. Undefined: the whole file
 * (no header, several ranges, or another unit); "unsatisfiable": 416.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header ?? "").trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** `inline` or `attachment` with the original name, ASCII fallback plus the exact name (RFC 6266). */
export function disposition(kind: "inline" | "attachment", name: string): string {
  const clean = name.replace(/[\\/]/g, "_").slice(0, 200) || "original";
  const ascii = clean.replace(/[^\x20-\x7e]|["%;\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(clean)}`;
}

/** Serves GET and HEAD of /api/images/<md5>/original. */
export async function serveOriginal(req: IncomingMessage, res: ServerResponse, image: catalogV1.Image, pipeline: Pipeline, token: string | undefined): Promise<void> {
  const type = originalType(image.info?.format);
  const size = image.info?.bytes ?? 0;
  const etag = `"${image.md5}"`;
  const headers: Record<string, string | number> = {
    "content-type": type.mime,
    "content-disposition": disposition(type.inline ? "inline" : "attachment", image.originalName || image.md5),
    "content-security-policy": ORIGINAL_CSP,
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
    "referrer-policy": "no-referrer",
    "cache-control": `private, max-age=${YEAR_S}, immutable`,
    etag,
    "accept-ranges": "bytes",
  };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  // A range of another version is no range of this one (If-Range); a content-addressed file has one version.
  const ifRange = req.headers["if-range"];
  const range = ifRange && ifRange !== etag ? undefined : parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    res.writeHead(416, { ...headers, "content-range": `bytes */${size}`, "content-length": 0 }).end();
    return;
  }
  const [start, end] = range ? [range.start, range.end] : [0, size - 1];
  const length = Math.max(0, end - start + 1);
  Object.assign(headers, { "content-length": length }, range && { "content-range": `bytes ${start}-${end}/${size}` });
  if (req.method === "HEAD") {
    res.writeHead(range ? 206 : 200, headers).end();
    return;
  }
  const original = await pipeline.original(image.md5, start, length, token);
  if (!original) throw new HttpError(404, "the library has no file for this image (deleted?)");
  if (original.size !== size) {
    original.cancel();
    throw new HttpError(502, `the library's file is ${original.size} bytes, its record says ${size}`);
  }
  res.writeHead(range ? 206 : 200, headers);
  await pipe(original, res);
}

/** Copies the library's chunks to the response at the browser's pace; stops the transfer when the browser leaves. */
async function pipe(original: { chunks: AsyncIterable<Uint8Array>; cancel(): void }, res: ServerResponse): Promise<void> {
  const gone = () => original.cancel();
  res.once("close", gone);
  try {
    for await (const chunk of original.chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
    res.end();
  } catch {
    // Headers are out: the browser sees a cut response, not a whole one with the wrong bytes.
    res.destroy();
  } finally {
    res.off("close", gone);
  }
}
