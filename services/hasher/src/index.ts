import { hasherV1 } from "@booru/proto";
import { defineModule } from "@booru/runtime";
import { decodeForServer } from "./decode.js";
import { hashHandler } from "./handler.js";
import { HasherMetrics } from "./metrics.js";
import { TempSpace } from "./media/temp.js";
import { Tools } from "./media/tools.js";
import { createHashPool } from "./pool.js";
import { HashService } from "./service.js";
import { hasherSettings } from "./settings.js";

export * from "./client.js";
export { closeLocalHashing, hashLocalFile } from "./local.js";
export { HASH_VERSION, HashService } from "./service.js";
export { hasherSettings, type HasherConfig } from "./settings.js";
export { DEFAULT_SIGNATURE_DISTANCE, parseSignature, signatureDistance } from "./signature.js";

const SERVICE = "booru.hasher.v1.Hasher";

/** Stateless and CPU-bound: every hash and a thumbnail from one decode, over gRPC. */
export const hasherModule = defineModule({
  name: "hasher",
  deps: [],
  settings: hasherSettings,
  // Decoding is expensive: beyond loopback only callers with a token (hash or write scope) get it.
  servesApi: true,
  async start(ctx, config) {
    decodeForServer();
    // Removes the temp files (and kills the ffmpeg) a crashed hasher left behind.
    const { space, removed } = await TempSpace.open(config.hasherTempDir);
    if (removed.length) ctx.log.warn({ removed }, "removed the temp folders of hasher processes that are gone");
    const tools = new Tools(config.hasherFfmpegJobs);
    if (!tools.find("ffmpeg") || !tools.find("ffprobe")) ctx.log.warn("ffmpeg/ffprobe not found on PATH: videos, APNG, BMP and JPEG XL cannot be hashed (install Debian's ffmpeg)");
    const pool = createHashPool(config.hasherWorkers);
    const service = new HashService(config, pool, { tools, temp: space });
    const metrics = new HasherMetrics(ctx.metrics);
    ctx.grpc.addService(SERVICE, hasherV1.HasherService, { hash: hashHandler(service, metrics) }, { scopes: { hash: "hash" } });
    ctx.grpc.setStatus(SERVICE, "SERVING");
    ctx.log.info({ workers: config.hasherWorkers, maxBytes: config.hasherMaxBytes, maxPixels: config.hasherMaxPixels, temp: space.dir }, "hasher ready");
    return {
      async stop(deadlineMs) {
        const drained = await ctx.grpc.drain(SERVICE, deadlineMs);
        if (!drained) ctx.log.warn("hasher stopped with calls still in flight");
        await pool.close();
        await space.close();
      },
    };
  },
});
