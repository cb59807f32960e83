/**
 * The booru client commands run as a user runs them: a subprocess (compiled dist/, so run
 * `npx tsc -b` first) against a catalog started in this test.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogV1, hasherV1 } from "@booru/proto";
import { REASON_NAMES } from "@booru/runtime";
import { hashLocalFile } from "@booru/hasher";
import { unary } from "@booru/catalog/client";
import { makeDuplicate, makeImage, makeRejection, signatureOf } from "../../../services/catalog/test/fixtures.js";
import { startCatalog, TOKENS, type Running } from "../../../services/catalog/test/helpers.js";

const BIN = path.resolve(import.meta.dirname, "../bin/booru.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function booru(args: string[], env: Record<string, string> = {}, onStderr?: (text: string) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("booru client commands", () => {
  let cat: Running;
  let tmp: string;
  let env: Record<string, string>;
  const images = Array.from({ length: 5 }, (_, i) => makeImage(`cli${i}`, { ingestedUnixMs: 1_700_000_000_000 + i * 1000, format: i % 2 ? "png" : "jpeg", phash64: `f0f0f0f0f0f0f0f${i}` }));
  const api = <Req, Res>(method: (...a: never[]) => unknown, req: Req, token = TOKENS.read) => unary<Req, Res>((method as (...a: unknown[]) => never).bind(cat.client) as never, req, { token });

  beforeAll(async () => {
    cat = await startCatalog();
    tmp = await mkdtemp(path.join(tmpdir(), "cli-"));
    env = { BOORU_SERVER: cat.target, BOORU_TOKEN: TOKENS.read };
    for (const image of images) await api(cat.client.putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    await api(cat.client.recordDuplicate, { duplicate: makeDuplicate("cli-dup", images[0]!.md5, 1_700_000_100_000) }, TOKENS.write);
    await api(cat.client.recordRejection, { rejection: makeRejection("cli-rej", "corrupt", 1_700_000_200_000) }, TOKENS.write);
  });
  afterAll(async () => {
    await cat?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it("ls prints the images the API lists, as a table and as JSON", async () => {
    const listed = await api<catalogV1.ListImagesRequest, catalogV1.ListImagesResponse>(cat.client.listImages, catalogV1.ListImagesRequest.fromPartial({ pageSize: 50 }));
    const json = await booru(["ls", "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ images: listed.images.map((i) => catalogV1.Image.toJSON(i)), nextPageToken: "" });

    const table = await booru(["ls"], env);
    const rows = table.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^INGESTED\s+MD5\s+KIND\s+FORMAT/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[1])).toEqual([...images].reverse().map((i) => i.md5));

    const paged = await booru(["ls", "--limit", "2", "--json"], env);
    expect(JSON.parse(paged.stdout).images).toHaveLength(2);
    const all = await booru(["ls", "--limit", "2", "--all", "--json"], env);
    expect(JSON.parse(all.stdout).images.map((i: { md5: string }) => i.md5)).toEqual([...images].reverse().map((i) => i.md5));
    const png = await booru(["ls", "--format", "png", "--json"], env);
    expect(JSON.parse(png.stdout).images.map((i: { md5: string }) => i.md5)).toEqual([images[3]!.md5, images[1]!.md5]);
  });

  it("ls --kind lists one kind; show prints a video's kind, timing and frame signature", async () => {
    const base = makeImage("cli-video", { ingestedUnixMs: 1_600_000_000_000, format: "mp4", kind: hasherV1.MediaKind.VIDEO, frameSignature: signatureOf("cli-video") });
    const video = { ...base, info: { ...base.info!, durationMs: 12_500, frames: 300, frameRate: 24, codec: "h264", hasAudio: true } };
    await api(cat.client.putImage, { image: video, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    const videos = await booru(["ls", "--kind", "video", "--json"], env);
    expect(JSON.parse(videos.stdout).images.map((i: { md5: string }) => i.md5)).toEqual([video.md5]);
    const table = await booru(["ls", "--kind", "video"], env);
    expect(table.stdout.trim().split("\n")[1]!.split(/\s+/).slice(1, 6)).toEqual([video.md5, "video", "mp4", "640x480", "12.5s"]);
    const images = await booru(["ls", "--kind", "image", "--json"], env);
    expect(JSON.parse(images.stdout).images).toHaveLength(5);
    expect((await booru(["ls", "--kind", "movie"], env)).code).toBe(2);
    const shown = await booru(["show", video.md5], env);
    expect(shown.stdout).toMatch(/^kind\s+video$/m);
    expect(shown.stdout).toMatch(/^timing\s+12\.5 s, 300 frames at 24 fps, h264, audio$/m);
    expect(shown.stdout).toMatch(new RegExp(`^frame signature\\s+${video.hashes!.frameSignature}$`, "m"));
  });

  it("show prints one record; a missing one exits 4 with one line", async () => {
    const image = images[2]!;
    const json = await booru(["show", image.md5, "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual(catalogV1.Image.toJSON(image));
    const table = await booru(["show", image.hashes!.sha256], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`md5           ${image.md5}`);
    expect(table.stdout).toContain(`phash64       ${image.hashes!.phash64}`);
    const missing = await booru(["show", makeImage("nope").md5], env);
    expect([missing.code, missing.stdout, missing.stderr.trim().split("\n").length]).toEqual([4, "", 1]);
    expect(missing.stderr).toContain("no image");
    expect((await booru(["show", "not-an-md5"], env)).code).toBe(2);
  });

  it("similar MD5 prints what FindSimilar returns", async () => {
    const res = await api<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(cat.client.findSimilar, catalogV1.FindSimilarRequest.fromPartial({ md5: images[0]!.md5, maxDistance: 8 }));
    expect(res.matches.length).toBe(4);
    const json = await booru(["similar", images[0]!.md5, "--max-distance", "8", "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual({ matches: res.matches.map((m) => ({ distance: m.distance, image: catalogV1.Image.toJSON(m.image!) })) });
    const table = await booru(["similar", images[0]!.md5, "--limit", "2"], env);
    expect(table.stdout.trim().split("\n").slice(1).map((r) => r.split(/\s+/).slice(0, 2))).toEqual(res.matches.slice(0, 2).map((m) => [String(m.distance), m.image!.md5]));
    expect((await booru(["similar", images[0]!.md5, "--algo", "nope"], env)).code).toBe(2);
  });

  it("similar FILE hashes the file locally and finds its record", async () => {
    const file = path.join(tmp, "photo.png");
    await writeFile(file, await sharp({ create: { width: 96, height: 64, channels: 3, background: "#336699" } }).composite([{ input: Buffer.from('<svg width="96" height="64"><circle cx="30" cy="30" r="20" fill="#fc0"/></svg>') }]).png().toBuffer());
    const hashed = await hashLocalFile(file);
    const image = catalogV1.Image.fromPartial({ md5: hashed.hashes!.md5, hashes: hashed.hashes, info: hashed.info, originalName: "photo.png", libraryPath: "ph/ot/photo.png", ingestedUnixMs: 1 });
    await api(cat.client.putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    const res = await booru(["similar", file, "--json", "--algo", "dhash64"], env);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).matches[0]).toMatchObject({ image: { md5: image.md5 }, distance: 0 });
    expect((await booru(["similar", path.join(tmp, "missing.png")], env)).code).toBe(4);
  });

  it("dupes, rejected and stats print what the API returns", async () => {
    const dupes = await booru(["dupes", "--json"], env);
    const listed = await api<catalogV1.ListDuplicatesRequest, catalogV1.ListDuplicatesResponse>(cat.client.listDuplicates, catalogV1.ListDuplicatesRequest.fromPartial({}));
    expect(JSON.parse(dupes.stdout)).toEqual({ duplicates: listed.duplicates.map((d) => catalogV1.Duplicate.toJSON(d)), nextPageToken: "" });
    expect((await booru(["dupes"], env)).stdout).toMatch(new RegExp(`${images[0]!.md5}\\s+moved\\s+dup/cli-dup.jpg`));
    const rejected = await booru(["rejected", "--reason", "corrupt"], env);
    expect(rejected.stdout).toMatch(/corrupt\s+bad\/cli-rej.jpg/);
    const stats = await booru(["stats", "--json"], env);
    expect(JSON.parse(stats.stdout)).toEqual({ ...(await api<object, catalogV1.GetStatsResponse>(cat.client.getStats, {})) });
    expect((await booru(["stats"], env)).stdout).toMatch(/duplicates\s+1\n/);
  });

  it("exits 5 on a missing or insufficient token and 6 when the catalog is unreachable", async () => {
    const noToken = await booru(["stats"], { BOORU_SERVER: cat.target });
    expect([noToken.code, noToken.stderr.trim().split("\n").length]).toEqual([5, 1]);
    expect(noToken.stderr).toMatch(/^booru stats: not authenticated/);
    const readRm = await booru(["rm", images[4]!.md5], env);
    expect(readRm.code).toBe(5);
    expect(readRm.stderr).toContain("lacks the admin scope");
    const down = await booru(["ls", "--server", "127.0.0.1:1"], env);
    expect(down.code).toBe(6);
    expect(down.stderr).toMatch(/cannot reach the catalog at 127\.0\.0\.1:1/);
  });

  it("rm deletes with an admin token; again it exits 4", async () => {
    const md5 = images[4]!.md5;
    const rmOnce = await booru(["rm", md5, "--token", TOKENS.admin], env);
    expect([rmOnce.code, rmOnce.stdout]).toEqual([0, `deleted ${md5}\n`]);
    expect((await booru(["show", md5], env)).code).toBe(4);
    expect((await booru(["rm", md5, "--token", TOKENS.admin], env)).code).toBe(4);
  });

  it("watch prints live events from WatchEvents", async () => {
    const fresh = [makeImage("live1", { ingestedUnixMs: Date.now() }), makeImage("live2", { ingestedUnixMs: Date.now() })];
    let started = false;
    const watching = booru(["watch", "--json", "--count", "3"], env, (err) => {
      if (started || !err.includes("watching")) return;
      started = true;
      void (async () => {
        for (const image of fresh) await api(cat.client.putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
        await api(cat.client.recordRejection, { rejection: makeRejection("live-rej", "too-large", Date.now()) }, TOKENS.write);
      })();
    });
    const res = await watching;
    expect(res.code).toBe(0);
    const events = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.ingested?.md5 ?? e.rejected?.reason)).toEqual([fresh[0]!.md5, fresh[1]!.md5, "too-large"]);

    const people = booru(["watch", "--count", "1"], env, (err) => {
      if (err.includes("watching")) void api(cat.client.putImage, { image: makeImage("live3", { ingestedUnixMs: Date.now() }), thumbnail: Buffer.alloc(0) }, TOKENS.write);
    });
    expect((await people).stdout).toMatch(/ingested\s+\w{32}.*\[ingested 1 {2}duplicates 0 {2}rejected 0 {2}deleted 0 {2}\| {2}0\.1 images\/s\]/);
  });

  it("every --json listing holds its list, also when it is empty", async () => {
    const unknown = makeImage("nothing-here").md5;
    const outputs = await Promise.all([
      booru(["dupes", "--md5", unknown, "--json"], env),
      booru(["rejected", "--reason", "too-many-pixels", "--json"], env),
      booru(["ls", "--format", "nonexistent", "--json"], env),
    ]);
    expect(outputs.map((o) => [o.code, JSON.parse(o.stdout)])).toEqual([
      [0, { duplicates: [], nextPageToken: "" }],
      [0, { rejections: [], nextPageToken: "" }],
      [0, { images: [], nextPageToken: "" }],
    ]);
  });

  it("rejected --reason names the valid reasons for one it does not know (exit 2)", async () => {
    const res = await booru(["rejected", "--reason", "nonsense"], env);
    expect([res.code, res.stdout]).toEqual([2, ""]);
    expect(res.stderr).toBe(`booru rejected: --reason must be one of ${REASON_NAMES.join(", ")}, got "nonsense"\n`);
    expect(REASON_NAMES).toContain("gave-up");
  });

  it("hash --help is a real help text on stdout", async () => {
    const res = await booru(["hash", "--help"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^usage: booru hash FILE\.\.\. /);
    for (const flag of ["--json", "--server HOST:PORT", "--token TOKEN", "--timeout DURATION"]) expect(res.stdout).toContain(`  ${flag}`);
    expect(res.stdout.split("\n").length).toBeGreaterThan(6);
  });

  it("takes a token with a trailing space or newline (pasted) as that token", async () => {
    expect((await booru(["stats"], { ...env, BOORU_TOKEN: `${TOKENS.read} ` })).code).toBe(0);
    expect((await booru(["stats", "--token", `${TOKENS.read}\n`], { BOORU_SERVER: cat.target })).code).toBe(0);
  });

  it("watch without a token, or with a wrong one, fails at once like every other command", async () => {
    const none = await booru(["watch"], { BOORU_SERVER: cat.target });
    expect([none.code, none.stdout, none.stderr]).toEqual([5, "", "booru watch: not authenticated: missing bearer token (set --token or BOORU_TOKEN)\n"]);
    const wrong = await booru(["watch", "--token", "wrong-token-0123456789"], { BOORU_SERVER: cat.target });
    expect([wrong.code, wrong.stderr]).toEqual([5, "booru watch: not authenticated: unknown token (set --token or BOORU_TOKEN)\n"]);
  });

  it("prints hostile file names escaped for people and exactly in JSON", async () => {
    // Sets the window title, clears the screen, a C1 CSI, DEL, a fake second line, right-to-left override.
    const evil = "x\u001b]0;owned\u0007\u001b[2J\u009b31m\u007f\nfake: all good\t\u202egpj.exe";
    const shown = "x\\e]0;owned\\x07\\e[2J\\x9b31m\\x7f\\nfake: all good\\t\\u202egpj.exe";
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
    const image = catalogV1.Image.fromPartial({ ...makeImage("evil", { ingestedUnixMs: Date.now() + 60_000 }), originalName: evil, sourcePath: `in/${evil}` });
    await api(cat.client.putImage, { image, thumbnail: Buffer.alloc(0) }, TOKENS.write);
    await api(cat.client.recordDuplicate, { duplicate: { ...makeDuplicate("evil-dup", image.md5, Date.now() + 60_000), sourcePath: evil } }, TOKENS.write);
    await api(cat.client.recordRejection, { rejection: { ...makeRejection("evil-rej", "corrupt", Date.now() + 60_000), sourcePath: evil, message: `cannot decode ${evil}` } }, TOKENS.write);

    const human = await Promise.all([booru(["ls", "--limit", "1"], env), booru(["show", image.md5], env), booru(["dupes", "--limit", "1"], env), booru(["rejected", "--limit", "1"], env)]);
    for (const out of human) {
      expect(out.code).toBe(0);
      expect(out.stdout).not.toMatch(raw);
      expect(out.stdout).toContain("\\u202egpj.exe");
    }
    expect(human[1]!.stdout).toContain(`name          ${shown}\n`);
    expect(human[1]!.stdout).toContain(`source        in/${shown}\n`);

    const json = JSON.parse((await booru(["show", image.md5, "--json"], env)).stdout);
    expect([json.originalName, json.sourcePath]).toEqual([evil, `in/${evil}`]);
    const rejected = JSON.parse((await booru(["rejected", "--limit", "1", "--json"], env)).stdout);
    expect(rejected.rejections[0].message).toBe(`cannot decode ${evil}`);

    const watched = booru(["watch", "--count", "1"], env, (err) => {
      if (err.includes("watching")) void api(cat.client.recordRejection, { rejection: { ...makeRejection("evil-live", "corrupt", Date.now()), sourcePath: evil } }, TOKENS.write);
    });
    const live = await watched;
    expect(live.stdout).not.toMatch(raw);
    expect(live.stdout).toContain(`rejected   corrupt  ${shown}`);
  });
});

