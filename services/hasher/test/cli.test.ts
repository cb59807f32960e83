/** `booru hash` as a user runs it (compiled CLI: run `npx tsc -b` first). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startApp, type App } from "@booru/runtime";
import { hasherModule } from "@booru/hasher";
import { runBooru } from "../../../test/harness/booru.js";
import { CONFORMANCE, haveConformance } from "../../../test/harness/conformance.js";
import { ENCODE, haveFfmpeg, sceneVideo } from "../../../test/harness/media.js";

const present = haveConformance("booru hash tests");

describe.skipIf(!present)("booru hash", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "booru-hash-"));
  let app: App | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const expected = present ? (JSON.parse(readFileSync(path.join(CONFORMANCE, "expected.json"), "utf8")) as Record<string, Record<string, unknown>>) : {};
  const image = (n: string) => path.join(CONFORMANCE, "images", n);

  it("prints one JSON array: hashes per file, an error with its reason for a bad one, exit 1", async () => {
    const bad = path.join(tmp, "notes.jpg");
    writeFileSync(bad, "not really a jpeg");
    const { code, stdout } = await runBooru(["hash", image("stoplights.jpg"), bad, image("emptyBasket.png"), "--json"]);
    expect(code).toBe(1);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.file)).toEqual([image("stoplights.jpg"), bad, image("emptyBasket.png")]);
    const e = expected["stoplights.jpg"]!;
    expect(rows[0]).toMatchObject({ md5: e.md5, sha256: e.sha256, blockhash256: e.blockhash256, width: e.width, height: e.height, format: "jpeg" });
    for (const k of ["phash64", "phash256", "dhash64", "ahash64", "colorhash42"]) expect(rows[0]![k]).toMatch(/^[0-9a-f]+$/);
    expect(rows[1]).toMatchObject({ file: bad, error: "unsupported" });
    expect(rows[2]).toMatchObject({ md5: expected["emptyBasket.png"]!.md5, format: "png" });
  });

  it("exits 0 when every file hashes, and --server gives the same answer as local hashing", async () => {
    app = await startApp([hasherModule], {
      env: { BOORU_DATA: tmp, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "silent", BOORU_HASHER_WORKERS: "1" },
      targets: ["hasher"],
    });
    const files = [image("clipper_ship.jpg"), image("00136101.jpg")];
    const local = await runBooru(["hash", ...files, "--json"]);
    const remote = await runBooru(["hash", ...files, "--json", "--server", `127.0.0.1:${app.grpcPort}`]);
    expect([local.code, remote.code]).toEqual([0, 0]);
    expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout));
    const human = await runBooru(["hash", files[0]!]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`blockhash256 ${expected["clipper_ship.jpg"]!.blockhash256}`);
  });
});

describe.skipIf(!haveFfmpeg())("booru hash on a video", () => {
  it("shows the kind, duration, frames, codec, audio and frame signature, as JSON and for people", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "booru-hash-video-"));
    try {
      const video = path.join(tmp, "clip.mp4");
      await sceneVideo(video, { seed: 3, seconds: 4, audio: true }, ENCODE.mp4!);
      const { code, stdout } = await runBooru(["hash", video, "--json"]);
      expect(code).toBe(0);
      const [row] = JSON.parse(stdout) as Record<string, unknown>[];
      expect(row).toMatchObject({ file: video, kind: "video", format: "mp4", width: 160, height: 120, frames: 40, durationMs: 4000, frameRate: 10, codec: "h264", hasAudio: true });
      expect(row!.frameSignature).toMatch(/^[0-9a-f]{256}$/);
      const human = await runBooru(["hash", video]);
      expect(human.stdout).toContain(`${video}  video 160x120 mp4, 4.00 s, 40 frames at 10 fps, h264, audio`);
      expect(human.stdout).toContain(`  frames       ${row!.frameSignature}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
