import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { SECURITY_HEADERS } from "./http.js";

interface Asset {
  type: string;
  raw: Buffer;
  gzip: Buffer;
  etag: string;
}

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml" };

/** The package folder: services/console (from src/ under tests, dist/ when built). */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function load(file: string): Asset {
  const raw = readFileSync(file);
  return { type: TYPES[path.extname(file)] ?? "application/octet-stream", raw, gzip: gzipSync(raw, { level: 9 }), etag: `"${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}"` };
}

/**
 * The page: index.html and style.css from web/, the modules tsc compiled into dist/web/. Read and
 * compressed once at start; revalidated by ETag, so a new build is picked up on reload.
 */
export class StaticFiles {
  private readonly assets = new Map<string, Asset>();
  private readonly index: Asset;

  constructor(dir = PACKAGE_DIR) {
    const built = path.join(dir, "dist", "web");
    let scripts: string[];
    try {
      scripts = readdirSync(built).filter((f) => f.endsWith(".js"));
    } catch {
      throw new Error(`the console's page is not built (${built} is missing): run npx tsc -b`);
    }
    for (const f of scripts) this.assets.set(f, load(path.join(built, f)));
    for (const f of readdirSync(path.join(dir, "web")).filter((f) => /\.(css|svg)$/.test(f))) this.assets.set(f, load(path.join(dir, "web", f)));
    this.index = load(path.join(dir, "web", "index.html"));
  }

  /** Every asset's name and compressed size: what a first load costs. */
  weights(): { name: string; raw: number; gzip: number }[] {
    return [["index.html", this.index] as const, ...this.assets].map(([name, a]) => ({ name, raw: a.raw.length, gzip: a.gzip.length }));
  }

  page(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res, this.index);
  }

  asset(req: IncomingMessage, res: ServerResponse, name: string): void {
    const asset = this.assets.get(name);
    if (!asset) {
      res.writeHead(404, { ...SECURITY_HEADERS, "content-type": "text/plain" }).end("not found");
      return;
    }
    this.serve(req, res, asset);
  }

  private serve(req: IncomingMessage, res: ServerResponse, a: Asset): void {
    const headers: Record<string, string | number> = { ...SECURITY_HEADERS, "content-type": a.type, "cache-control": "no-cache", etag: a.etag, vary: "accept-encoding" };
    if (req.headers["if-none-match"] === a.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? a.gzip : a.raw;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = body.length;
    res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : body);
  }
}
