import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/** An error with the HTTP status to answer (the message is shown to the user). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** gRPC status codes as HTTP statuses, so the page can tell "not allowed" from "not there" (12: an older catalog without the method). */
const FROM_GRPC: Record<number, number> = { 3: 400, 5: 404, 6: 409, 7: 403, 8: 429, 9: 409, 11: 400, 12: 501, 14: 503, 16: 401 };

export function httpStatusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  const code = (err as { code?: unknown }).code;
  return typeof code === "number" ? (FROM_GRPC[code] ?? 502) : 500;
}

/** The message a user sees: a gRPC error's details, without the "7 PERMISSION_DENIED:" prefix. */
export function messageOf(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return e.details || e.message || String(err);
}

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export function send(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string>): void {
  let data = typeof body === "string" ? Buffer.from(body) : body;
  const out: Record<string, string | number> = { ...SECURITY_HEADERS, ...headers };
  if (data.length > 1024 && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) && /^(text|application\/(json|javascript))/.test(headers["content-type"] ?? "")) {
    data = gzipSync(data);
    out["content-encoding"] = "gzip";
    out.vary = "accept-encoding";
  }
  out["content-length"] = data.length;
  res.writeHead(status, out);
  res.end(req.method === "HEAD" ? undefined : data);
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(req, res, status, JSON.stringify(value), { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
}

/** The request body, refused past `limit` bytes (413) without reading the rest into memory. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) throw new HttpError(413, `the file is ${declared} bytes, more than the limit of ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `the file is more than the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown>> {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) throw new HttpError(415, "expected application/json");
  try {
    const value: unknown = JSON.parse((await readBody(req, limit)).toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, "the request body is not a JSON object");
  }
}
