/**
 * Stand-ins for the hasher and catalog gRPC servers, so dedup's own tests run against real
 * NATS and MongoDB without the image code. The hasher fake hashes the bytes and judges images
 * by their magic bytes only; the catalog fake keeps records in memory, idempotent by key.
 */
import { createHash } from "node:crypto";
import { status, type ServerReadableStream } from "@grpc/grpc-js";
import { catalogV1, hasherV1 } from "@booru/proto";
import { AppError, Authenticator, GrpcHost, Reason, createLogger, defineModule, invalid, type ModuleDef } from "@booru/runtime";

const MAGIC: [string, Buffer][] = [
  ["png", Buffer.from([0x89, 0x50, 0x4e, 0x47])],
  ["jpeg", Buffer.from([0xff, 0xd8, 0xff])],
  ["gif", Buffer.from("GIF8")],
];

export interface Fakes {
  target: string;
  images: Map<string, catalogV1.Image>;
  duplicates: Map<string, catalogV1.Duplicate>;
  rejections: Map<string, catalogV1.Rejection>;
  hashCalls: number;
  /** While true the hasher answers UNAVAILABLE. */
  hasherDown: boolean;
  /** Milliseconds each Hash call takes. */
  hashDelayMs: number;
  /** While true PutImage fails with INTERNAL (a bug, not an outage). */
  putImageBroken: boolean;
  stop(): Promise<void>;
}

export async function startFakes(): Promise<Fakes> {
  const log = createLogger("fakes", "silent");
  const host = new GrpcHost({ listen: "127.0.0.1:0", log, auth: new Authenticator([]) });
  const fakes = addFakeServices(host);
  fakes.stop = () => host.shutdown(1000);
  await host.bind();
  fakes.target = host.localTarget;
  return fakes;
}

/** The fakes as modules named hasher and catalog, to stand in for them in startApp. */
export function fakeModules(): { fakes: Fakes; modules: ModuleDef[] } {
  let fakes!: Fakes;
  const hasher = defineModule({
    name: "hasher",
    deps: [],
    settings: {},
    async start(ctx) {
      fakes = addFakeServices(ctx.grpc);
      return { stop: async () => {} };
    },
  });
  const catalog = defineModule({ name: "catalog", deps: ["hasher"], settings: {}, start: async () => ({ stop: async () => {} }) });
  return {
    get fakes() {
      return fakes;
    },
    modules: [hasher, catalog] as ModuleDef[],
  };
}

function addFakeServices(host: GrpcHost): Fakes {
  const fakes: Fakes = {
    target: "",
    images: new Map(),
    duplicates: new Map(),
    rejections: new Map(),
    hashCalls: 0,
    hasherDown: false,
    hashDelayMs: 0,
    putImageBroken: false,
    stop: async () => {},
  };
  host.addService("booru.hasher.v1.Hasher", hasherV1.HasherService, {
    hash: async (call: ServerReadableStream<hasherV1.HashRequest, hasherV1.HashResponse>) => {
      fakes.hashCalls++;
      const parts: Buffer[] = [];
      for await (const req of call) if (req.chunk) parts.push(req.chunk);
      const data = Buffer.concat(parts);
      await new Promise((r) => setTimeout(r, fakes.hashDelayMs));
      if (fakes.hasherDown) throw new AppError(status.UNAVAILABLE, "hasher down");
      const format = MAGIC.find(([, m]) => data.subarray(0, m.length).equals(m))?.[0];
      if (!format) throw invalid(Reason.UNSUPPORTED, "not an image");
      if (format === "png" && data.subarray(12, 16).toString() !== "IHDR") throw invalid(Reason.CORRUPT, "no IHDR");
      if (format === "jpeg" && !data.subarray(-2).equals(Buffer.from([0xff, 0xd9]))) throw invalid(Reason.TRUNCATED, "JPEG without its end");
      if (format === "png" && !data.subarray(-8, -4).equals(Buffer.from("IEND"))) throw invalid(Reason.TRUNCATED, "PNG without IEND");
      if (format === "png" && data.readUInt32BE(16) * data.readUInt32BE(20) > 100_000_000) throw invalid(Reason.TOO_MANY_PIXELS, "too many pixels");
      return hasherV1.HashResponse.fromPartial({
        hashes: { md5: createHash("md5").update(data).digest("hex"), sha256: createHash("sha256").update(data).digest("hex"), hashVersion: 1 },
        info: { format, width: 1, height: 1, bytes: data.length, frames: 1 },
        thumbnail: { data: Buffer.from("thumb"), mime: "image/webp", width: 1, height: 1 },
      });
    },
  });
  const unimplemented = async () => {
    throw new AppError(status.UNIMPLEMENTED, "not in the fake");
  };
  const handlers: Record<string, (...a: never[]) => Promise<unknown>> = Object.fromEntries(Object.keys(catalogV1.CatalogService).map((k) => [k, unimplemented]));
  handlers.putImage = async (req: catalogV1.PutImageRequest) => {
    if (fakes.putImageBroken) throw new Error("broken");
    const created = !fakes.images.has(req.image!.md5);
    if (created) fakes.images.set(req.image!.md5, req.image!);
    return { image: fakes.images.get(req.image!.md5), created };
  };
  handlers.recordDuplicate = async (req: catalogV1.RecordDuplicateRequest) => {
    fakes.duplicates.set(req.duplicate!.id, req.duplicate!);
    return {};
  };
  handlers.recordRejection = async (req: catalogV1.RecordRejectionRequest) => {
    fakes.rejections.set(req.rejection!.id, req.rejection!);
    return {};
  };
  handlers.listImages = async () => ({ images: [...fakes.images.values()], nextPageToken: "" });
  host.addService("booru.catalog.v1.Catalog", catalogV1.CatalogService, handlers as never);
  return fakes;
}
