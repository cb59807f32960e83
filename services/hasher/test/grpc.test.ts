/**
 * The Hasher over a real gRPC server (startApp on port 0, the worker pool from dist/: run
 * `npx tsc -b` first): streaming past the message limit, every reason code, a server that
 * keeps serving after bad input, and the metrics a operator sees.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { status, type ServiceError } from "@grpc/grpc-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reasonName, reasonOf, startApp, type App } from "@booru/runtime";
import { callHash, createHasherClient, hashLocalFile, hasherModule, type HasherClient } from "@booru/hasher";
import { noiseJpeg } from "../../../test/harness/files.js";

const MiB = 1024 * 1024;

async function* chunks(bytes: Buffer, size = MiB): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("Hasher gRPC service", () => {
  let app: App;
  let client: HasherClient;
  let data: string;
  const hash = (bytes: Buffer, options = {}) => callHash(client, chunks(bytes), options, 60_000);
  const reasonFor = async (bytes: Buffer, options = {}) => {
    const err = await hash(bytes, options).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(err?.code, "expected INVALID_ARGUMENT").toBe(status.INVALID_ARGUMENT);
    const reason = reasonOf(err);
    return reason === undefined ? undefined : reasonName(reason);
  };

  beforeAll(async () => {
    data = mkdtempSync(path.join(tmpdir(), "hasher-grpc-"));
    app = await startApp([hasherModule], {
      env: {
        BOORU_DATA: data,
        BOORU_LISTEN: "127.0.0.1:0",
        BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0",
        BOORU_LOG_LEVEL: "silent",
        BOORU_HASHER_WORKERS: "1",
        BOORU_HASHER_MAX_BYTES: "20MiB",
        BOORU_HASHER_MAX_PIXELS: "5000000",
      },
      targets: ["hasher"],
    });
    client = createHasherClient(`127.0.0.1:${app.grpcPort}`);
  });

  afterAll(async () => {
    client?.close();
    await app?.stop();
    rmSync(data, { recursive: true, force: true });
  });

  it("hashes a file larger than the 8 MiB message limit, streamed in chunks, as the local API does", async () => {
    // Noise does not compress: an uncompressed-ish PNG of about 10 MB.
    const png = await sharp(randomBytes(1900 * 1800 * 3), { raw: { width: 1900, height: 1800, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(png.length).toBeGreaterThan(8 * MiB);
    const res = await hash(png, { fileName: "big.png", size: png.length });
    expect(res.hashes!.md5).toBe(createHash("md5").update(png).digest("hex"));
    expect(res.hashes!.sha256).toBe(createHash("sha256").update(png).digest("hex"));
    expect(res.info).toMatchObject({ width: 1900, height: 1800, format: "png", bytes: png.length, mime: "image/png" });
    expect(res.thumbnail).toMatchObject({ mime: "image/webp", width: 512, height: 485 });
    const thumb = await sharp(res.thumbnail!.data).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(["webp", 512, 485]);
    // Same code path as `booru hash`: identical hashes.
    const file = path.join(data, "big.png");
    writeFileSync(file, png);
    expect((await hashLocalFile(file)).hashes).toEqual(res.hashes);
  });

  it("honours the thumbnail options and never upscales", async () => {
    const jpeg = await noiseJpeg(300, 200);
    const res = await hash(jpeg, { thumbnail: { maxSide: 1000, format: 2, quality: 50, skip: false } });
    expect(res.thumbnail).toMatchObject({ mime: "image/jpeg", width: 300, height: 200 });
    const skipped = await hash(jpeg, { thumbnail: { skip: true, maxSide: 0, format: 0, quality: 0 } });
    expect(skipped.thumbnail).toBeUndefined();
    expect(skipped.hashes!.phash256).toBe(res.hashes!.phash256);
  });

  it("answers truncated, corrupt, unsupported, too-many-pixels and too-large with their reason codes", async () => {
    const jpeg = await noiseJpeg(800, 600);
    expect(await reasonFor(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).toBe("truncated");
    const png = Buffer.from(await sharp(jpeg).png().toBuffer());
    for (let i = 100; i < 300; i++) png[i]! ^= 0xff;
    expect(await reasonFor(png)).toBe("corrupt");
    expect(await reasonFor(Buffer.from("just some text, not an image\n".repeat(100)))).toBe("unsupported");
    const huge = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: "#808080" } }).png().toBuffer();
    expect(await reasonFor(huge)).toBe("too-many-pixels");
    expect(await reasonFor(randomBytes(21 * MiB))).toBe("too-large");
    // Declared size over the limit: refused before the bytes are read.
    expect(await reasonFor(jpeg, { size: 100 * MiB })).toBe("too-large");
  });

  it("keeps serving after bad input, and counts every result in /metrics", async () => {
    await reasonFor(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]));
    const ok = await hash(await noiseJpeg(64, 64));
    expect(ok.hashes!.blockhash256).toMatch(/^[0-9a-f]{64}$/);
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const count = (result: string) => Number(new RegExp(`booru_hasher_requests_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count("ok")).toBeGreaterThanOrEqual(4);
    expect(count("corrupt")).toBeGreaterThanOrEqual(2);
    expect(count("truncated")).toBe(1);
    expect(count("unsupported")).toBe(1);
    expect(count("too-many-pixels")).toBe(1);
    expect(count("too-large")).toBe(2);
    expect(Number(/booru_hasher_bytes_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(8 * MiB);
    expect(metrics).toContain("booru_hasher_in_flight 0");
    expect(metrics).toContain("booru_hasher_duration_seconds_count");
  });
});

describe("Hasher deadline", () => {
  it("ends a call that outlives BOORU_HASHER_TIMEOUT with DEADLINE_EXCEEDED, and serves the next one", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "hasher-deadline-"));
    const app = await startApp([hasherModule], {
      env: { BOORU_DATA: data, BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "silent", BOORU_HASHER_WORKERS: "1", BOORU_HASHER_TIMEOUT: "300ms" },
      targets: ["hasher"],
    });
    const client = createHasherClient(`127.0.0.1:${app.grpcPort}`);
    try {
      // A client that sends the options and a few bytes, then stalls.
      async function* stalled(): AsyncGenerator<Buffer> {
        yield Buffer.from([0xff, 0xd8, 0xff]);
        await new Promise((r) => setTimeout(r, 5_000));
      }
      const started = Date.now();
      const err = await callHash(client, stalled(), {}, 30_000).then(() => undefined, (e: ServiceError) => e);
      expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeLessThan(4_000);
      const ok = await callHash(client, chunks(await noiseJpeg(64, 64)), {}, 30_000);
      expect(ok.hashes!.md5).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      client.close();
      await app.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
