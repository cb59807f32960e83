import type { AddressInfo } from "node:net";
import { request, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { hasherV1 } from "@booru/proto";
import { createLogger } from "@booru/runtime";
import { Live } from "./live.js";
import { createConsoleServer } from "./server.js";
import { StaticFiles } from "./static.js";
import { fakePipeline } from "../test/fake-pipeline.js";

const READ = "read-token-0123456789";
const ADMIN = "admin-token-0123456789";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function start(tokens: boolean, maxUploadBytes = 1024, ownToken = "own") {
  const { pipeline, calls, decisions, md5, svgMd5, originalBytes } = fakePipeline({ admin: ADMIN, read: READ });
  const log = createLogger("test", "silent");
  const server = createConsoleServer({ pipeline, live: new Live(pipeline, log), assets: new StaticFiles(), log, tokens, ownToken, loopbackOnly: true, maxUploadBytes, sessionTtlMs: 60_000 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, calls, decisions, md5, svgMd5, originalBytes };
}

/** A browser-like client: keeps the session cookie and sends the CSRF header it was given. */
function browser(base: string) {
  let cookie = "";
  let csrf = "";
  const call = async (path: string, init: RequestInit & { csrf?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    if (cookie) headers.set("cookie", cookie);
    if (init.csrf !== false && csrf) headers.set("x-csrf-token", csrf);
    const res = await fetch(base + path, { ...init, headers });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0]!;
    const body = res.headers.get("content-type")?.includes("json") ? ((await res.json()) as Record<string, unknown>) : {};
    if (typeof body.csrf === "string") csrf = body.csrf;
    return { status: res.status, body, headers: res.headers };
  };
  return {
    call,
    post: (path: string, value: unknown, init: RequestInit & { csrf?: boolean } = {}) => call(path, { method: "POST", headers: { "content-type": "application/json", ...init.headers }, body: JSON.stringify(value), ...init }),
    cookieHeader: () => cookie,
  };
}

describe("console server with tokens", () => {
  it("asks for a login, then lets a read token look but not delete", async () => {
    const { base, calls, md5 } = await start(true);
    const b = browser(base);
    expect((await b.call("/api/session")).body).toEqual({ tokens: true, authenticated: false });
    expect((await b.call("/api/images")).status).toBe(401);
    expect((await b.post("/api/login", { token: "wrong-token-0123456789" })).status).toBe(401);
    const login = await b.post("/api/login", { token: READ });
    expect(login.body).toMatchObject({ authenticated: true, name: "viewer", admin: false });
    expect(login.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
    const list = await b.call("/api/images?kind=image&format=png&minBytes=10&sort=oldest");
    expect(list.status).toBe(200);
    expect(list.body.next).toBe("next-page");
    // The user's own token reaches the catalog, with the filters.
    expect(calls.find((c) => c.op === "list")).toMatchObject({ token: READ, arg: { kind: hasherV1.MediaKind.IMAGE, format: "png", minBytes: 10, oldestFirst: true } });
    const del = await b.post(`/api/images/${md5}/delete`, {});
    expect(del.status).toBe(403);
    expect(del.body.error).toMatch(/admin/);
    expect(calls.some((c) => c.op === "delete")).toBe(false);
  });

  it("lets an admin delete, with the CSRF secret and from the same origin only", async () => {
    const { base, calls, md5 } = await start(true);
    const b = browser(base);
    await b.post("/api/login", { token: ADMIN });
    expect((await b.post(`/api/images/${md5}/delete`, {}, { csrf: false })).status).toBe(403);
    expect((await b.post(`/api/images/${md5}/delete`, {}, { headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect(calls.some((c) => c.op === "delete")).toBe(false);
    const ok = await b.post(`/api/images/${md5}/delete`, {});
    expect(ok).toMatchObject({ status: 200, body: { deleted: true } });
    expect(calls.find((c) => c.op === "delete")).toEqual({ op: "delete", token: ADMIN, arg: md5 });
  });

  it("forgets the session at logout", async () => {
    const { base } = await start(true);
    const b = browser(base);
    await b.post("/api/login", { token: READ });
    expect((await b.post("/api/logout", {})).status).toBe(200);
    expect((await b.call("/api/overview")).status).toBe(401);
  });
});

describe("console server without tokens", () => {
  it("serves everything to local users with its own token, still behind the CSRF secret", async () => {
    const { base, calls, md5 } = await start(false);
    const b = browser(base);
    expect((await b.post(`/api/images/${md5}/delete`, {})).status).toBe(403);
    expect((await b.call("/api/session")).body).toMatchObject({ tokens: false, admin: true });
    const overview = await b.call("/api/overview");
    expect(overview.body).toMatchObject({ status: { backlog: 3, inFlight: 2, hashers: { reachable: 1, total: 1 } } });
    expect((await b.post(`/api/images/${md5}/delete`, {})).body).toEqual({ deleted: true });
    expect(calls.find((c) => c.op === "delete")?.token).toBe("own");
  });

  it("answers only to loopback host names (no DNS rebinding)", async () => {
    const { base } = await start(false);
    // fetch() may not set Host; a plain request can, as a rebound DNS name would.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/api/session`, { headers: { host: "attacker.example:8080" } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on("error", reject).end();
    });
    expect(status).toBe(421);
  });

  it("caches thumbnails for a year and refuses malformed filters", async () => {
    const { base, md5 } = await start(false);
    const thumb = await fetch(`${base}/api/thumbs/${md5}`);
    expect(thumb.headers.get("cache-control")).toMatch(/max-age=31536000, immutable/);
    expect(Buffer.from(await thumb.arrayBuffer()).toString()).toBe("webp");
    expect((await fetch(`${base}/api/images?kind=spreadsheet`)).status).toBe(400);
    expect((await fetch(`${base}/api/images?minBytes=-1`)).status).toBe(400);
    expect((await fetch(`${base}/api/images?sort=sideways`)).status).toBe(400);
    expect((await fetch(`${base}/api/images/${md5.replace("0", "f")}`)).status).toBe(404);
  });

  it("refuses an upload over the limit before hashing it", async () => {
    const { base } = await start(false, 1024);
    const b = browser(base);
    await b.call("/api/session");
    const big = await b.call("/api/search", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.alloc(4096) });
    expect(big.status).toBe(413);
    const small = await b.call("/api/search", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.alloc(100) });
    expect(small).toMatchObject({ status: 200, body: { hashes: { phash64: "ffffffffffffffff" }, matches: [] } });
  });

  it("serves the page with a strict content security policy, compressed", async () => {
    const { base, md5 } = await start(false);
    for (const path of ["/", "/library", `/image/${md5}`, "/rejected"]) {
      const res = await fetch(base + path, { headers: { "accept-encoding": "gzip" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
      expect(await res.text()).toMatch(/<script type="module" src="\/assets\/main.js">/);
    }
    expect((await fetch(`${base}/assets/main.js`)).headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });
});

describe("originals", () => {
  it("streams the original with its type, no sniffing, no script, cached for good; ranges for seeking", async () => {
    const { base, md5, originalBytes, calls } = await start(false);
    const whole = await fetch(`${base}/api/images/${md5}/original`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(originalBytes);
    const h = whole.headers;
    expect(h.get("content-type")).toBe("image/jpeg");
    expect(h.get("content-length")).toBe("123");
    expect(h.get("x-content-type-options")).toBe("nosniff");
    expect(h.get("content-security-policy")).toMatch(/default-src 'none'.*sandbox/);
    expect(h.get("content-security-policy")).not.toMatch(/script-src/);
    expect(h.get("cache-control")).toMatch(/max-age=31536000, immutable/);
    expect(h.get("accept-ranges")).toBe("bytes");
    // The user's name stays a quoted file name, never a header of its own.
    expect(h.get("content-disposition")).toBe(`inline; filename="<img src=x onerror=alert(1)>.jpg"; filename*=UTF-8''${encodeURIComponent("<img src=x onerror=alert(1)>.jpg")}`);
    expect(calls.find((c) => c.op === "original")).toEqual({ op: "original", token: "own", arg: { md5, offset: 0, length: 123 } });

    const part = await fetch(`${base}/api/images/${md5}/original`, { headers: { range: "bytes=100-" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 100-122/123");
    expect(Buffer.from(await part.arrayBuffer())).toEqual(originalBytes.subarray(100));
    const tail = await fetch(`${base}/api/images/${md5}/original`, { headers: { range: "bytes=-3" } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(originalBytes.subarray(120));
    const middle = await fetch(`${base}/api/images/${md5}/original`, { headers: { range: "bytes=40-59" } });
    expect(Buffer.from(await middle.arrayBuffer())).toEqual(originalBytes.subarray(40, 60));
    const outside = await fetch(`${base}/api/images/${md5}/original`, { headers: { range: "bytes=500-" } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */123");
    expect((await fetch(`${base}/api/images/${md5}/original`, { headers: { "if-none-match": `"${md5}"` } })).status).toBe(304);
    const head = await fetch(`${base}/api/images/${md5}/original`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("123");
    expect((await fetch(`${base}/api/images/${md5.replace("0", "f")}/original`)).status).toBe(404);
  });

  it("offers a risky type (an SVG could run script) only as a download of bytes", async () => {
    const { base, svgMd5 } = await start(false);
    const res = await fetch(`${base}/api/images/${svgMd5}/original`);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="drawing _1_.svg"/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const info = (await (await fetch(`${base}/api/images/${svgMd5}`)).json()) as { original: unknown };
    expect(info.original).toEqual({ url: `/api/images/${svgMd5}/original`, mime: "application/octet-stream", inline: false });
  });

  it("asks the library with the logged-in user's token; without a login there is nothing", async () => {
    const { base, md5, calls } = await start(true);
    expect((await fetch(`${base}/api/images/${md5}/original`)).status).toBe(401);
    const viewer = browser(base);
    await viewer.post("/api/login", { token: READ });
    expect((await viewer.call(`/api/images/${md5}/original`)).status).toBe(200);
    expect(calls.filter((c) => c.op === "original").map((c) => c.token)).toEqual([READ]);
  });
});

describe("near-duplicate review", () => {
  it("lists groups by cursor; a read token cannot decide; an admin keeps some, keeps all, or applies every suggestion", async () => {
    const { base, calls, decisions } = await start(true);
    const viewer = browser(base);
    await viewer.post("/api/login", { token: READ });
    const first = await viewer.call("/api/near");
    expect(first.body).toMatchObject({ groups: [{ id: "g1", suggestedKeeper: "a".repeat(32) }], next: "g2" });
    expect((await viewer.call("/api/near?cursor=g2")).body).toMatchObject({ groups: [{ id: "g2" }], next: "" });
    expect((await viewer.post("/api/near/g1/resolve", { suggestion: true })).status).toBe(403);
    expect((await viewer.post("/api/near/apply-suggestions", {})).status).toBe(403);
    expect(calls.some((c) => c.op === "resolve")).toBe(false);

    const ops = browser(base);
    await ops.post("/api/login", { token: ADMIN });
    expect((await ops.post("/api/near/g1/resolve", { keep: ["not-an-md5"] })).status).toBe(400);
    expect((await ops.post("/api/near/g1/resolve", { keep: ["a".repeat(32), "c".repeat(32)] })).body).toEqual({ resolved: true });
    expect(decisions.get("g1")).toEqual({ keep: ["a".repeat(32), "c".repeat(32)] });
    expect(calls.find((c) => c.op === "resolve")?.token).toBe(ADMIN);
    expect((await ops.post("/api/near/apply-suggestions", {})).body).toEqual({ resolved: 1 });
    expect(decisions.get("g2")).toEqual({ suggestion: true });
    expect((await ops.call("/api/near")).body).toEqual({ groups: [], next: "" });
  });

  it("needs the CSRF secret to decide, and shows the catalog's refusal as it said it", async () => {
    const { base, decisions } = await start(false, 1024, "read-only-console-token");
    const b = browser(base);
    await b.call("/api/session");
    expect((await b.post("/api/near/g1/resolve", { keepAll: true }, { csrf: false })).status).toBe(403);
    // Without tokens the console asks with its own token; here the catalog refuses it.
    const refused = await b.post("/api/near/g1/resolve", { keepAll: true });
    expect(refused).toMatchObject({ status: 403, body: { error: "token lacks the admin scope" } });
    expect(decisions.size).toBe(0);
  });

  it("retries and deletes rejected files for an admin only, with the user's token", async () => {
    const { base, calls } = await start(true);
    const viewer = browser(base);
    await viewer.post("/api/login", { token: READ });
    expect((await viewer.post("/api/rejected/abc/retry", {})).status).toBe(403);
    const ops = browser(base);
    await ops.post("/api/login", { token: ADMIN });
    expect((await ops.post("/api/rejected/abc/retry", {}, { csrf: false })).status).toBe(403);
    expect((await ops.post("/api/rejected/abc/retry", {})).body).toEqual({ retried: true });
    expect((await ops.post("/api/rejected/a%2Fb/delete", {})).body).toEqual({ deleted: true });
    expect(calls.filter((c) => c.op === "retry" || c.op === "delete-rejection")).toEqual([
      { op: "retry", token: ADMIN, arg: "abc" },
      { op: "delete-rejection", token: ADMIN, arg: "a/b" },
    ]);
  });
});
