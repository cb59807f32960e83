/**
 * Every kind a booru inbox holds, dropped into the inbox of the whole pipeline in both modes
 * (NATS JetStream + a MongoDB-protocol server, and embedded: in-process bus + SQLite): videos,
 * animations, archives, BMP and HEIC are catalogued with their kind and filed under their own
 * extension; bad files are rejected with their reason; FindSimilar by frame signature finds the
 * re-encoded copy and the GIF of the same video, not the unrelated one; no ffmpeg is left.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync as copy, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { zipSync } from "fflate";
import { catalogV1, hasherV1 } from "@booru/proto";
import { createCatalogClient } from "@booru/catalog";
import { startApp, type ModuleDef } from "@booru/runtime";
import { allModules } from "../../packages/cli/src/modules.js";
import { listFiles } from "../../services/dedup/test/corpus.js";
import { uniqueName } from "../harness/index.js";
import { ENCODE, haveFfmpeg, makeBadMedia, picturePng, processesMentioning, reencode, sceneAnimation, sceneVideo } from "../harness/media.js";
import { pipelineEnv, until } from "./pipeline-support.js";

const ok = haveFfmpeg();
const K = hasherV1.MediaKind;
const src = mkdtempSync(path.join(tmpdir(), "pipeline-media-src-"));
const at = (name: string) => path.join(src, name);

/** name -> [kind, format, library extension] */
const GOOD: Record<string, [hasherV1.MediaKind, string, string]> = {
  "video.mp4": [K.VIDEO, "mp4", "mp4"],
  "copy.webm": [K.VIDEO, "webm", "webm"],
  "other.mkv": [K.VIDEO, "mkv", "mkv"],
  "clip.mov": [K.VIDEO, "mov", "mov"],
  "same.gif": [K.ANIMATION, "gif", "gif"],
  "loop.webp": [K.ANIMATION, "webp", "webp"],
  "loop.apng": [K.ANIMATION, "png", "png"],
  "12345_ugoira.zip": [K.ANIMATION, "ugoira", "zip"],
  "Vol 1.cbz": [K.ARCHIVE, "zip", "cbz"],
  "scan.bmp": [K.IMAGE, "bmp", "bmp"],
  "phone.heic": [K.IMAGE, "heic", "heic"],
};
let BAD: Record<string, string> = {};

beforeAll(async () => {
  if (!ok) return;
  await sceneVideo(at("video.mp4"), { seed: 11, seconds: 8, audio: true }, ENCODE.mp4!);
  await reencode(at("video.mp4"), at("copy.webm"), ["-an", "-vf", "scale=112:84", ...ENCODE.webm!]);
  await sceneVideo(at("other.mkv"), { seed: 12, seconds: 8 }, ENCODE.mkv!);
  await sceneVideo(at("clip.mov"), { seed: 13, seconds: 5 }, ENCODE.mov!);
  await sceneAnimation(at("same.gif"), "gif", { seed: 11, seconds: 8 });
  await sceneAnimation(at("loop.webp"), "webp", { seed: 14, seconds: 3 });
  await sceneAnimation(at("loop.apng"), "apng", { seed: 15, seconds: 3 }, 200);
  const frames: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) frames[`${String(i).padStart(6, "0")}.jpg`] = await sharp(await picturePng(30 + i)).jpeg().toBuffer();
  const json = { frames: Object.keys(frames).map((file) => ({ file, delay: 120 })) };
  writeFileSync(at("12345_ugoira.zip"), zipSync({ ...frames, "animation.json": Buffer.from(JSON.stringify(json)) }, { level: 0 }));
  writeFileSync(at("Vol 1.cbz"), zipSync({ "p10.png": await picturePng(41), "p2.png": await picturePng(42), "p1.png": await picturePng(43) }));
  writeFileSync(at("pic.png"), await picturePng(50, 320, 240));
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-i", at("pic.png"), at("scan.bmp")]);
  execFileSync("heif-enc", ["-q", "80", "-o", at("phone.heic"), at("pic.png")], { stdio: "ignore" });
  const bad = path.join(src, "bad");
  mkdirSync(bad);
  BAD = await makeBadMedia(bad);
}, 300_000);

async function call<Req, Res>(fn: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

async function dropAndCheck(env: Record<string, string>, temp: string): Promise<void> {
  const app = await startApp(allModules as ModuleDef[], { env: { ...env, BOORU_HASHER_TEMP_DIR: temp }, targets: ["all"] });
  const client = createCatalogClient(`127.0.0.1:${app.grpcPort}`);
  try {
    const inbox = app.paths.inboxes[0]!;
    for (const name of Object.keys(GOOD)) copy(at(name), path.join(inbox, name));
    mkdirSync(path.join(inbox, "bad"));
    for (const name of Object.keys(BAD)) copy(path.join(src, "bad", name), path.join(inbox, "bad", name));
    await until(() => listFiles(inbox).length === 0, 240_000, "an empty inbox");

    const { images } = await call<catalogV1.ListImagesRequest, catalogV1.ListImagesResponse>(client.listImages.bind(client), catalogV1.ListImagesRequest.fromPartial({ pageSize: 1000 }));
    const byName = new Map(images.map((i) => [i.originalName, i]));
    expect([...byName.keys()].sort()).toEqual(Object.keys(GOOD).sort());
    for (const [name, [kind, format, ext]] of Object.entries(GOOD)) {
      const image = byName.get(name)!;
      expect([image.info!.kind, image.info!.format, path.extname(image.libraryPath)], name).toEqual([kind, format, `.${ext}`]);
      expect(image.thumbnailWidth, name).toBeGreaterThan(0);
    }
    expect(byName.get("video.mp4")!.info).toMatchObject({ codec: "h264", hasAudio: true, durationMs: 8000, frames: 80 });
    expect(byName.get("12345_ugoira.zip")!.info).toMatchObject({ frames: 6, durationMs: 720 });
    const videos = await call<catalogV1.ListImagesRequest, catalogV1.ListImagesResponse>(client.listImages.bind(client), catalogV1.ListImagesRequest.fromPartial({ kind: K.VIDEO }));
    expect(videos.images.map((i) => i.originalName).sort()).toEqual(["clip.mov", "copy.webm", "other.mkv", "video.mp4"]);

    const rejected = listFiles(app.paths.rejected).filter((f) => f.endsWith(".reason.json"));
    const reasons = Object.fromEntries(rejected.map((f) => [path.basename(f, ".reason.json"), JSON.parse(readFileSync(path.join(app.paths.rejected, f), "utf8")).reason]));
    expect(reasons).toEqual(BAD);

    const similar = await call<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(client.findSimilar.bind(client), catalogV1.FindSimilarRequest.fromPartial({ md5: byName.get("video.mp4")!.md5, algorithm: catalogV1.SimilarAlgorithm.FRAMES }));
    expect(similar.matches.map((m) => m.image!.originalName).sort()).toEqual(["copy.webm", "same.gif"]);
    expect(processesMentioning(temp)).toEqual([]);
  } finally {
    client.close();
    await app.stop();
  }
}

describe.skipIf(!ok)("media through the whole pipeline", () => {
  it("NATS JetStream + MongoDB protocol: every kind catalogued and filed, bad files rejected with their reasons, similar videos found", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-media-"));
    await dropAndCheck(pipelineEnv(data, uniqueName(), uniqueName("db")), path.join(data, "tmp"));
  }, 400_000);

  it("embedded (in-process bus, SQLite): the same", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "pipeline-media-embedded-"));
    const env = { BOORU_DATA: data, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn", BOORU_SETTLE_TIME: "1500ms", BOORU_SETTLE_MAX: "2s" };
    await dropAndCheck(env, path.join(data, "tmp"));
  }, 400_000);
});
