import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import { readFileSync } from "node:fs";
import { catalogV1 } from "@booru/proto";
import type { Logger } from "@booru/runtime";
import { HttpError, httpStatusOf, messageOf, readBody, readJson, send, sendJson } from "./http.js";
import type { Live } from "./live.js";
import type { NearDecision, Pipeline } from "./pipeline.js";
import { COOKIE, parseCookies, sameSecret, sessionCookie, Sessions, type Session } from "./sessions.js";
import type { StaticFiles } from "./static.js";
import { card, KIND_VALUES, rejectionView } from "./views.js";
import { originalType, serveOriginal } from "./original.js";

export interface ConsoleOptions {
  pipeline: Pipeline;
  live: Live;
  assets: StaticFiles;
  log: Logger;
  /** Tokens are configured: users log in with one, and it is what the catalog sees. */
  tokens: boolean;
  /** The console's own token, for everything without tokens. */
  ownToken?: string;
  /** Only loopback Host headers are accepted (no DNS rebinding) when the console listens on loopback. */
  loopbackOnly: boolean;
  maxUploadBytes: number;
  sessionTtlMs: number;
  tls?: { cert: string; key: string };
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  session?: Session;
}

type Handler = (ctx: Ctx) => Promise<void>;
interface Route {
  method: string;
  path: RegExp;
  handler: Handler;
  /** read: any logged-in user (anyone without tokens); admin: an admin token; none: open. */
  needs: "none" | "read" | "admin";
}

const MD5 = "([0-9a-f]{32})";
const PAGES = /^\/(|library|image\/[0-9a-f]{32}|near|rejected|search|login)$/;
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d+)?$/;
const PAGE_SIZE = 60;
const YEAR_S = 365 * 24 * 3600;

/** The console's HTTP server: the page, its JSON API and its live event stream. */
export function createConsoleServer(opts: ConsoleOptions): Server {
  const sessions = new Sessions(opts.sessionTtlMs);
  const secure = Boolean(opts.tls);
  const { pipeline } = opts;
  const tokenOf = (ctx: Ctx) => (opts.tokens ? ctx.session?.token : opts.ownToken);
  const json = (ctx: Ctx, value: unknown, status = 200, headers: Record<string, string> = {}) => sendJson(ctx.req, ctx.res, status, value, headers);

  const routes: Route[] = [
    { method: "GET", path: /^\/api\/session$/, needs: "none", handler: async (ctx) => {
      let s = ctx.session;
      const headers: Record<string, string> = {};
      if (!s && !opts.tokens) {
        // Without tokens everyone here may do everything; the session only carries the CSRF secret.
        s = sessions.create({ name: "anonymous", admin: true });
        headers["set-cookie"] = sessionCookie(s.id, { secure, maxAgeS: Math.floor(opts.sessionTtlMs / 1000) });
      }
      json(ctx, s ? { tokens: opts.tokens, authenticated: true, name: s.name, admin: s.admin, csrf: s.csrf } : { tokens: true, authenticated: false }, 200, headers);
    } },
    { method: "POST", path: /^\/api\/login$/, needs: "none", handler: async (ctx) => {
      const token = String((await readJson(ctx.req)).token ?? "").trim();
      if (!opts.tokens) throw new HttpError(400, "this console has no tokens configured: no login needed");
      if (!token) throw new HttpError(400, "enter a token");
      const read = await pipeline.access(token, "read");
      if (read.kind === "unreachable") throw new HttpError(503, `the catalog does not answer: ${read.message}`);
      if (read.kind === "denied") throw new HttpError(401, "this token is not accepted");
      const admin = (await pipeline.access(token, "admin")).kind === "ok";
      sessions.delete(ctx.session?.id);
      const s = sessions.create({ token, name: read.name, admin });
      json(ctx, { authenticated: true, name: s.name, admin, csrf: s.csrf }, 200, { "set-cookie": sessionCookie(s.id, { secure, maxAgeS: Math.floor(opts.sessionTtlMs / 1000) }) });
    } },
    { method: "POST", path: /^\/api\/logout$/, needs: "read", handler: async (ctx) => {
      sessions.delete(ctx.session?.id);
      json(ctx, { authenticated: false }, 200, { "set-cookie": sessionCookie("", { secure, maxAgeS: 0 }) });
    } },
    { method: "GET", path: /^\/api\/overview$/, needs: "read", handler: async (ctx) => {
      const token = tokenOf(ctx);
      const [stats, activity, status] = await Promise.all([pipeline.stats(token), pipeline.activity(60, token), opts.live.status()]);
      json(ctx, { stats, minutes: activity.minutes, status, latest: opts.live.latestEvents() });
    } },
    { method: "GET", path: /^\/api\/events$/, needs: "read", handler: async (ctx) => opts.live.subscribe(ctx.res) },
    { method: "GET", path: /^\/api\/images$/, needs: "read", handler: async (ctx) => {
      const page = await pipeline.listImages({ ...libraryFilter(ctx.url.searchParams), pageSize: PAGE_SIZE, pageToken: ctx.url.searchParams.get("cursor") ?? "" }, tokenOf(ctx));
      json(ctx, { images: page.images.map(card), next: page.nextPageToken });
    } },
    { method: "GET", path: new RegExp(`^/api/images/${MD5}$`), needs: "read", handler: async (ctx) => {
      const token = tokenOf(ctx);
      const image = await pipeline.getImage(ctx.params[0]!, token);
      if (!image) throw new HttpError(404, "no such image (deleted?)");
      json(ctx, { image: catalogV1.Image.toJSON(image), card: card(image), original: { url: `/api/images/${image.md5}/original`, ...originalType(image.info?.format) } });
    } },
    { method: "GET", path: new RegExp(`^/api/images/${MD5}/original$`), needs: "read", handler: async (ctx) => {
      const token = tokenOf(ctx);
      const image = await pipeline.getImage(ctx.params[0]!, token);
      if (!image) throw new HttpError(404, "no such image (deleted?)");
      await serveOriginal(ctx.req, ctx.res, image, pipeline, token);
    } },
    { method: "GET", path: new RegExp(`^/api/images/${MD5}/similar$`), needs: "read", handler: async (ctx) => {
      const algorithm = Number(ctx.url.searchParams.get("algorithm") ?? 0);
      const matches = await pipeline.similar({ md5: ctx.params[0]!, algorithm, maxDistance: optionalInt(ctx.url.searchParams.get("max")), limit: 48 }, tokenOf(ctx));
      json(ctx, { matches: matches.map((m) => ({ distance: m.distance, image: card(m.image!) })) });
    } },
    { method: "POST", path: new RegExp(`^/api/images/${MD5}/delete$`), needs: "admin", handler: async (ctx) => {
      json(ctx, { deleted: await pipeline.deleteImage(ctx.params[0]!, tokenOf(ctx)) });
    } },
    { method: "GET", path: new RegExp(`^/api/thumbs/${MD5}$`), needs: "read", handler: async (ctx) => {
      const thumb = await pipeline.thumbnail(ctx.params[0]!, tokenOf(ctx));
      if (!thumb) throw new HttpError(404, "no thumbnail");
      // Content-addressed: the md5 names the bytes the thumbnail was made of.
      send(ctx.req, ctx.res, 200, Buffer.from(thumb.data), { "content-type": thumb.mime || "image/webp", "cache-control": `private, max-age=${YEAR_S}, immutable`, etag: `"${ctx.params[0]}"` });
    } },
    { method: "GET", path: /^\/api\/rejected$/, needs: "read", handler: async (ctx) => {
      const page = await pipeline.listRejections(ctx.url.searchParams.get("cursor") ?? "", tokenOf(ctx));
      json(ctx, { rejected: page.rejections.map(rejectionView), next: page.nextPageToken });
    } },
    // The catalog checks the scope: retry needs write (an admin token), delete admin.
    { method: "POST", path: /^\/api\/rejected\/([^/]{1,256})\/retry$/, needs: "admin", handler: async (ctx) => {
      await pipeline.retryRejection(decodeURIComponent(ctx.params[0]!), tokenOf(ctx));
      json(ctx, { retried: true });
    } },
    { method: "POST", path: /^\/api\/rejected\/([^/]{1,256})\/delete$/, needs: "admin", handler: async (ctx) => {
      await pipeline.deleteRejection(decodeURIComponent(ctx.params[0]!), tokenOf(ctx));
      json(ctx, { deleted: true });
    } },
    { method: "GET", path: /^\/api\/near$/, needs: "read", handler: async (ctx) => {
      json(ctx, await pipeline.nearDuplicates(ctx.url.searchParams.get("cursor") ?? "", tokenOf(ctx)));
    } },
    { method: "POST", path: /^\/api\/near\/([A-Za-z0-9_-]{1,128})\/resolve$/, needs: "admin", handler: async (ctx) => {
      await pipeline.resolveNearDuplicates(ctx.params[0]!, nearDecision(await readJson(ctx.req)), tokenOf(ctx));
      json(ctx, { resolved: true });
    } },
    { method: "POST", path: /^\/api\/near\/apply-suggestions$/, needs: "admin", handler: async (ctx) => {
      json(ctx, { resolved: await applyAllSuggestions(pipeline, tokenOf(ctx)) });
    } },
    { method: "POST", path: /^\/api\/search$/, needs: "read", handler: async (ctx) => {
      const bytes = await readBody(ctx.req, opts.maxUploadBytes);
      if (bytes.length === 0) throw new HttpError(400, "drop a picture to search with");
      const name = decodeURIComponent(String(ctx.req.headers["x-file-name"] ?? "upload")).slice(0, 255);
      const hashed = await pipeline.hash(bytes, name).catch((err: unknown) => {
        throw new HttpError(httpStatusOf(err) === 502 ? 422 : httpStatusOf(err), `the hasher could not read this file: ${messageOf(err)}`);
      });
      const frames = hashed.hashes?.frameSignature;
      const matches = await pipeline.similar(frames ? { hash: frames, algorithm: 5, limit: 48 } : { hash: hashed.hashes?.phash64 ?? "", algorithm: 1, maxDistance: 12, limit: 48 }, tokenOf(ctx));
      json(ctx, { hashes: hashed.hashes, info: hashed.info, matches: matches.map((m) => ({ distance: m.distance, image: card(m.image!) })) });
    } },
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const ctx: Ctx = { req, res, url, params: [], session: sessions.get(parseCookies(req.headers.cookie).get(COOKIE)) };
    try {
      if (opts.loopbackOnly && !LOOPBACK_HOST.test(String(req.headers.host ?? ""))) throw new HttpError(421, "this console answers on its loopback address only");
      const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
      if (method === "GET" && PAGES.test(url.pathname)) return opts.assets.page(req, res);
      if (method === "GET" && url.pathname.startsWith("/assets/")) return opts.assets.asset(req, res, url.pathname.slice("/assets/".length));
      for (const route of routes) {
        const m = route.path.exec(url.pathname);
        if (!m) continue;
        if (route.method !== method) throw new HttpError(405, `${method} not allowed here`);
        ctx.params = m.slice(1);
        authorize(ctx, route, method);
        return await route.handler(ctx);
      }
      throw new HttpError(404, "not found");
    } catch (err) {
      const status = httpStatusOf(err);
      if (status >= 500) opts.log.warn({ err: messageOf(err), path: url.pathname }, "console request failed");
      if (!res.headersSent) json(ctx, { error: messageOf(err) }, status);
      else res.end();
    }
  };

  /** Login where tokens are on; the CSRF secret and same origin on every state-changing request. */
  const authorize = (ctx: Ctx, route: Route, method: string) => {
    if (method !== "GET") {
      const origin = ctx.req.headers.origin;
      if (origin && origin !== `${secure ? "https" : "http"}://${ctx.req.headers.host}`) throw new HttpError(403, "cross-site request refused");
      if (route.needs !== "none" && !(ctx.session && sameSecret(String(ctx.req.headers["x-csrf-token"] ?? ""), ctx.session.csrf))) throw new HttpError(403, "missing or stale CSRF token: reload the page");
    }
    if (route.needs === "none" || !opts.tokens) return;
    if (!ctx.session) throw new HttpError(401, "log in with a token");
    if (route.needs === "admin" && !ctx.session.admin) throw new HttpError(403, `token ${ctx.session.name} may look but not change anything (it lacks the admin scope)`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  return opts.tls ? createHttps({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) }, listener) : createHttp(listener);
}

/** The body of a resolve: `{ "keep": [md5...] }`, `{ "keepAll": true }` or `{ "suggestion": true }`. */
export function nearDecision(body: Record<string, unknown>): NearDecision {
  if (body.keepAll === true) return { keepAll: true };
  if (body.suggestion === true) return { suggestion: true };
  const keep = body.keep;
  if (Array.isArray(keep) && keep.length > 0 && keep.length <= 1000 && keep.every((m) => typeof m === "string" && /^[0-9a-f]{32}$/.test(m))) return { keep: keep as string[] };
  throw new HttpError(400, 'say which to keep: {"keep": [md5, ...]}, {"keepAll": true} or {"suggestion": true}');
}

/**
 * "Apply the suggestion to all groups": every group waiting now. Resolved groups leave the
 * listing, so the first page is asked again until it holds nothing new (a group listed again
 * after its decision is not decided twice).
 */
export async function applyAllSuggestions(pipeline: Pipeline, token: string | undefined): Promise<number> {
  const done = new Set<string>();
  for (;;) {
    const fresh = (await pipeline.nearDuplicates("", token)).groups.filter((g) => !done.has(g.id));
    if (fresh.length === 0) return done.size;
    for (const g of fresh) {
      await pipeline.resolveNearDuplicates(g.id, { suggestion: true }, token);
      done.add(g.id);
    }
  }
}

const optionalInt = (v: string | null) => (v === null || v === "" ? undefined : Number.parseInt(v, 10));

function day(v: string | null, endOfDay: boolean): number | undefined {
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const t = Date.parse(`${v}T00:00:00Z`);
  return Number.isNaN(t) ? undefined : t + (endOfDay ? 86_400_000 : 0);
}

/** The library's filters from the query string; anything malformed is a 400. */
export function libraryFilter(q: URLSearchParams) {
  const kind = q.get("kind") ?? "";
  if (kind && !(kind in KIND_VALUES)) throw new HttpError(400, `unknown kind ${JSON.stringify(kind)}`);
  const format = (q.get("format") ?? "").toLowerCase();
  if (format && !/^[a-z0-9]{1,10}$/.test(format)) throw new HttpError(400, "format must be a short name such as png");
  const size = (name: string) => {
    const v = q.get(name);
    if (!v) return 0;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `${name} must be a number of bytes`);
    return n;
  };
  const sort = q.get("sort") ?? "newest";
  if (sort !== "newest" && sort !== "oldest") throw new HttpError(400, "sort must be newest or oldest");
  return {
    oldestFirst: sort === "oldest",
    kind: kind ? KIND_VALUES[kind] : 0,
    format,
    minBytes: size("minBytes"),
    maxBytes: size("maxBytes"),
    ingestedAfterUnixMs: day(q.get("from"), false) ?? 0,
    ingestedBeforeUnixMs: day(q.get("to"), true) ?? 0,
  };
}
