import { catalogV1, hasherV1 } from "@booru/proto";
import { bearer, channelCredentials, channelOptions, checkAccess, checkHealth, deadline, type Access, type Scope } from "@booru/runtime";
import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from "@grpc/grpc-js";
import { once } from "node:events";
import { lookup } from "node:dns/promises";

/**
 * What the console asks of the pipeline: the catalog's and the hasher's gRPC APIs, nothing else.
 * `token` is the caller's (the logged-in user's, or the console's own without tokens), so the
 * catalog enforces every scope itself.
 */
export interface Pipeline {
  stats(token?: string): Promise<catalogV1.GetStatsResponse>;
  activity(minutes: number, token?: string): Promise<catalogV1.GetActivityResponse>;
  listImages(req: Partial<catalogV1.ListImagesRequest>, token?: string): Promise<catalogV1.ListImagesResponse>;
  getImage(md5: string, token?: string): Promise<catalogV1.Image | undefined>;
  thumbnail(md5: string, token?: string): Promise<catalogV1.GetThumbnailResponse | undefined>;
  similar(req: Partial<catalogV1.FindSimilarRequest>, token?: string): Promise<catalogV1.SimilarMatch[]>;
  deleteImage(md5: string, token?: string): Promise<boolean>;
  listRejections(pageToken: string, token?: string): Promise<catalogV1.ListRejectionsResponse>;
  /** Hashes bytes with the hasher (never stored). */
  hash(bytes: Buffer, name: string): Promise<hasherV1.HashResponse>;
  /** Every event of every catalog replica until the returned function is called. */
  watch(onEvent: (e: catalogV1.Event) => void, onEnd: (err?: Error) => void): () => void;
  /** Hasher instances behind the hasher target, and how many answer their health check. */
  hashers(): Promise<{ reachable: number; total: number }>;
  /** May this token do `scope` (Auth.Check at the catalog)? */
  access(token: string, scope: Scope): Promise<Access>;
  close(): void;
}

export interface Peers {
  catalog: { target: string; token?: string };
  hasher: { target: string; token?: string };
  caFile?: string;
  timeoutMs?: number;
}

type Unary<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall;

const NOT_FOUND = 5;

/** The gRPC adapter. */
export function grpcPipeline(peers: Peers): Pipeline {
  const catalog = new catalogV1.CatalogClient(peers.catalog.target, channelCredentials(peers.caFile), channelOptions());
  // Search by picture sends a whole file: allow the upload limit plus framing.
  const hasher = new hasherV1.HasherClient(peers.hasher.target, channelCredentials(peers.caFile), channelOptions(64 * 1024 * 1024));
  const timeoutMs = peers.timeoutMs ?? 15_000;
  const call = <Req, Res>(method: Unary<Req, Res>, req: Req, token: string | undefined): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      method.call(catalog, req, bearer(token), deadline(timeoutMs), (err, res) => (err ? reject(err) : resolve(res)));
    });
  const orUndefined = <T>(p: Promise<T>) => p.catch((err: ServiceError) => (err.code === NOT_FOUND ? undefined : Promise.reject(err)));

  return {
    stats: (token) => call(catalog.getStats, {}, token),
    activity: (minutes, token) => call(catalog.getActivity, { minutes }, token),
    listImages: (req, token) => call(catalog.listImages, catalogV1.ListImagesRequest.fromPartial(req), token),
    getImage: async (md5, token) => (await orUndefined(call(catalog.getImage, { md5 }, token)))?.image,
    thumbnail: (md5, token) => orUndefined(call(catalog.getThumbnail, { md5 }, token)),
    similar: async (req, token) => (await call(catalog.findSimilar, catalogV1.FindSimilarRequest.fromPartial(req), token)).matches,
    deleteImage: async (md5, token) => (await call(catalog.deleteImage, { md5 }, token)).deleted,
    listRejections: (pageToken, token) => call(catalog.listRejections, { pageSize: 50, pageToken, reason: "" }, token),
    hash: (bytes, name) => hashBytes(hasher, bytes, name, peers.hasher.token, timeoutMs),
    watch(onEvent, onEnd) {
      const stream = catalog.watchEvents({}, bearer(peers.catalog.token));
      let ended = false;
      const end = (err?: Error) => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      stream.on("data", (res: catalogV1.WatchEventsResponse) => res.event && onEvent(res.event));
      stream.on("error", (err) => end(err));
      stream.on("end", () => end());
      return () => {
        ended = true;
        stream.cancel();
      };
    },
    hashers: () => hasherHealth(peers.hasher.target),
    access: (token, scope) => checkAccess(peers.catalog.target, token, scope, { caFile: peers.caFile }),
    close() {
      catalog.close();
      hasher.close();
    },
  };
}

async function hashBytes(client: hasherV1.HasherClient, bytes: Buffer, name: string, token: string | undefined, timeoutMs: number): Promise<hasherV1.HashResponse> {
  let stream!: ReturnType<hasherV1.HasherClient["hash"]>;
  const result = new Promise<hasherV1.HashResponse>((resolve, reject) => {
    stream = client.hash(bearer(token), deadline(timeoutMs), (err, res) => (err ? reject(err) : resolve(res!)));
  });
  const send = async () => {
    // No thumbnail: the console shows the user's own picture, and nothing is kept.
    stream.write(hasherV1.HashRequest.fromPartial({ options: { fileName: name, size: bytes.length, thumbnail: { maxSide: 0, format: 0, quality: 0, skip: true } } }));
    for (let at = 0; at < bytes.length; at += 1024 * 1024) {
      if (!stream.write({ chunk: bytes.subarray(at, at + 1024 * 1024) })) await Promise.race([once(stream, "drain"), result]);
    }
    stream.end();
  };
  await Promise.race([send(), result]).catch(() => undefined);
  return result;
}

/** The hasher instances a target names (every address a dns:/// name resolves to), each health-checked. */
async function hasherHealth(target: string): Promise<{ reachable: number; total: number }> {
  const addrs = await hasherAddresses(target).catch(() => []);
  if (addrs.length === 0) return { reachable: 0, total: 0 };
  const states = await Promise.all(addrs.map((a) => checkHealth(a, "", 1500)));
  return { reachable: states.filter((s) => s === "SERVING").length, total: addrs.length };
}

export async function hasherAddresses(target: string): Promise<string[]> {
  const dns = /^dns:(?:\/\/[^/]*)?\/(.+):(\d+)$/.exec(target);
  if (dns) {
    const found = await lookup(dns[1]!, { all: true });
    return found.map((a) => (a.family === 6 ? `[${a.address}]:${dns[2]}` : `${a.address}:${dns[2]}`));
  }
  const list = /^ipv[46]:(.+)$/.exec(target);
  if (list) return list[1]!.split(",");
  return [target];
}
