import { lookup } from "node:dns/promises";
import { catalogV1, hasherV1, type libraryV1 } from "@booru/proto";
import { createCatalogClient, unary } from "@booru/catalog/client";
import { createLibraryClient } from "@booru/dedup/client";
import { callHash, createHasherClient } from "@booru/hasher/client";
import { bearer, checkAccess, type Access, type Scope } from "@booru/runtime/client";
import { checkHealth } from "@booru/runtime";
import type { ServiceError } from "@grpc/grpc-js";

/**
 * What the console asks of the pipeline: the catalog's, the hasher's and the library's gRPC APIs, nothing else.
 * `token` is the caller's (the logged-in user's, or the console's own without tokens), so the
 * catalog enforces every scope itself.
 */
export interface Pipeline {
  stats(token?: string): Promise<catalogV1.GetStatsResponse>;
  activity(minutes: number, token?: string): Promise<catalogV1.GetActivityResponse>;
  listImages(req: Partial<catalogV1.ListImagesRequest>, token?: string): Promise<catalogV1.ListImagesResponse>;
  getImage(md5: string, token?: string): Promise<catalogV1.Image | undefined>;
  thumbnail(md5: string, token?: string): Promise<catalogV1.GetThumbnailResponse | undefined>;
  /**
   * The original's bytes from `offset`, at most `length` (0: to the end), from dedup's library
   * (Library.GetOriginal); undefined when the library has no such file.
   */
  original(md5: string, offset: number, length: number, token?: string): Promise<OriginalStream | undefined>;
  similar(req: Partial<catalogV1.FindSimilarRequest>, token?: string): Promise<catalogV1.SimilarMatch[]>;
  deleteImage(md5: string, token?: string): Promise<boolean>;
  listRejections(pageToken: string, token?: string): Promise<catalogV1.ListRejectionsResponse>;
  /** Back to the inbox (Catalog.RetryRejection); the rejection is forgotten. */
  retryRejection(id: string, token?: string): Promise<void>;
  /** The file and its reason removed (Catalog.DeleteRejection). */
  deleteRejection(id: string, token?: string): Promise<void>;
  /** Hashes bytes with the hasher (never stored). */
  hash(bytes: Buffer, name: string): Promise<hasherV1.HashResponse>;
  /** Every event of every catalog replica until the returned function is called. */
  watch(onEvent: (e: catalogV1.Event) => void, onEnd: (err?: Error) => void): () => void;
  /** Hasher instances behind the hasher target, and how many answer their health check. */
  hashers(): Promise<{ reachable: number; total: number }>;
  /** Groups of near-duplicates waiting for a decision, by cursor (Catalog.ListNearDuplicates). */
  nearDuplicates(pageToken: string, token?: string): Promise<NearPage>;
  /** Decides one group (Catalog.ResolveNearDuplicates): keep these md5s, keep all, or the suggestion. */
  resolveNearDuplicates(groupId: string, decision: NearDecision, token?: string): Promise<void>;
  /** May this token do `scope` (Auth.Check at the catalog)? */
  access(token: string, scope: Scope): Promise<Access>;
  close(): void;
}

export interface NearMember {
  md5: string;
  name: string;
  width: number;
  height: number;
  bytes: number;
  format: string;
  ingestedUnixMs: number;
  /** Hamming distance to the suggested keeper (0 for the keeper). */
  distance: number;
}

export interface NearGroup {
  id: string;
  suggestedKeeper: string;
  members: NearMember[];
}

export interface NearPage {
  groups: NearGroup[];
  next: string;
}

export interface OriginalStream {
  /** The whole file's size. */
  size: number;
  /** The bytes asked for, as the library sends them; pulled, so a slow reader slows the library. */
  chunks: AsyncIterable<Uint8Array>;
  /** Stops the transfer (the reader went away). */
  cancel(): void;
}

export type NearDecision = { keep: string[] } | { keepAll: true } | { suggestion: true };

export interface Peers {
  catalog: { target: string; token?: string };
  hasher: { target: string; token?: string };
  library: { target: string; token?: string };
  caFile?: string;
  timeoutMs?: number;
}

const NOT_FOUND = 5;

/** The gRPC adapter. */
export function grpcPipeline(peers: Peers): Pipeline {
  const catalog = createCatalogClient(peers.catalog.target, { caFile: peers.caFile });
  const hasher = createHasherClient(peers.hasher.target, { caFile: peers.caFile });
  const library = createLibraryClient(peers.library.target, { caFile: peers.caFile });
  const timeoutMs = peers.timeoutMs ?? 15_000;
  const c = catalog;
  const call = <Req, Res>(method: Parameters<typeof unary<Req, Res>>[0], req: Req, token: string | undefined): Promise<Res> => unary(method, req, { token, timeoutMs });
  const orUndefined = <T>(p: Promise<T>) => p.catch((err: ServiceError) => (err.code === NOT_FOUND ? undefined : Promise.reject(err)));

  return {
    stats: (token) => call(c.getStats.bind(c), {}, token),
    activity: (minutes, token) => call(c.getActivity.bind(c), { minutes }, token),
    listImages: (req, token) => call(c.listImages.bind(c), catalogV1.ListImagesRequest.fromPartial(req), token),
    getImage: async (md5, token) => (await orUndefined(call(c.getImage.bind(c), { md5 }, token)))?.image,
    thumbnail: (md5, token) => orUndefined(call(c.getThumbnail.bind(c), { md5 }, token)),
    original: async (md5, offset, length, token) => {
      // No deadline: a video may take long to send; the call ends when the reader cancels it.
      const stream = library.getOriginal({ md5, offset, length }, bearer(token));
      const messages = stream[Symbol.asyncIterator]() as AsyncIterator<libraryV1.GetOriginalResponse>;
      const first = await messages.next().catch((err: ServiceError) => (err.code === NOT_FOUND ? undefined : Promise.reject(err)));
      if (!first || first.done) return undefined;
      async function* chunks() {
        for (let m = await messages.next(); !m.done; m = await messages.next()) yield m.value.chunk;
      }
      return { size: first.value.size, chunks: chunks(), cancel: () => stream.cancel() };
    },
    similar: async (req, token) => (await call(c.findSimilar.bind(c), catalogV1.FindSimilarRequest.fromPartial(req), token)).matches,
    deleteImage: async (md5, token) => (await call(c.deleteImage.bind(c), { md5 }, token)).deleted,
    listRejections: (pageToken, token) => call(c.listRejections.bind(c), { pageSize: 50, pageToken, reason: "" }, token),
    // No thumbnail: the console shows the user's own picture, and nothing is kept.
    retryRejection: async (id, token) => void (await call(c.retryRejection.bind(c), { id }, token)),
    deleteRejection: async (id, token) => void (await call(c.deleteRejection.bind(c), { id }, token)),
    hash: (bytes, name) => callHash(hasher, chunks(bytes), { fileName: name, size: bytes.length, thumbnail: { maxSide: 0, format: 0, quality: 0, skip: true } }, timeoutMs, bearer(peers.hasher.token)),
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
    nearDuplicates: async (pageToken, token) => {
      const res = await call(c.listNearDuplicates.bind(c), { pageSize: 50, pageToken }, token);
      return { groups: res.groups.map(nearGroup), next: res.nextPageToken };
    },
    resolveNearDuplicates: async (groupId, decision, token) => void (await call(c.resolveNearDuplicates.bind(c), resolveRequest(groupId, decision), token)),
    hashers: () => hasherHealth(peers.hasher.target),
    access: (token, scope) => checkAccess(peers.catalog.target, token, scope, { caFile: peers.caFile }),
    close() {
      catalog.close();
      hasher.close();
      library.close();
    },
  };
}

/** A group as the page shows it (the catalog lists the suggested keeper first). */
export function nearGroup(g: catalogV1.NearDuplicateGroup): NearGroup {
  return {
    id: g.id,
    suggestedKeeper: g.suggestedKeep,
    members: g.members.map((m) => ({ md5: m.md5, name: m.originalName, width: m.width, height: m.height, bytes: m.bytes, format: m.format, ingestedUnixMs: m.ingestedUnixMs, distance: m.distance })),
  };
}

function resolveRequest(groupId: string, d: NearDecision): catalogV1.ResolveNearDuplicatesRequest {
  if ("keep" in d) return { groupId, keep: { md5s: d.keep } };
  if ("keepAll" in d) return { groupId, keepAll: true };
  return { groupId, applySuggestion: true };
}

async function* chunks(bytes: Buffer): AsyncIterable<Buffer> {
  for (let at = 0; at < bytes.length; at += 1024 * 1024) yield bytes.subarray(at, at + 1024 * 1024);
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
