/** A pipeline in memory for the console's tests: what the page would get from a catalog and hasher. */
import { catalogV1, hasherV1 } from "@booru/proto";
import type { NearDecision, NearGroup, Pipeline } from "../src/pipeline.js";

export interface Call {
  op: string;
  token?: string;
  arg?: unknown;
}

export function nearGroups(): NearGroup[] {
  const m = (md5: string, name: string, width: number, height: number, bytes: number, format: string, distance: number) => ({ md5, name, width, height, bytes, format, ingestedUnixMs: 1_700_000_000_000, distance });
  return [
    { id: "g1", suggestedKeeper: "a".repeat(32), members: [m("a".repeat(32), "sunset.png", 1920, 1080, 2_400_000, "png", 0), m("b".repeat(32), "sunset-small.jpg", 960, 540, 180_000, "jpeg", 2), m("c".repeat(32), "sunset (1).png", 1920, 1080, 2_400_100, "png", 0)] },
    { id: "g2", suggestedKeeper: "d".repeat(32), members: [m("d".repeat(32), "hills.jpg", 1280, 720, 400_000, "jpeg", 0), m("e".repeat(32), "hills-crop.jpg", 1200, 700, 380_000, "jpeg", 5)] },
  ];
}

/** Records every call with its token; near-duplicate groups leave the listing once decided. */
export function fakePipeline(opts: { admin?: string; read?: string } = {}) {
  const calls: Call[] = [];
  const groups = nearGroups();
  const decisions = new Map<string, NearDecision>();
  const md5 = "0123456789abcdef0123456789abcdef";
  const image = catalogV1.Image.fromPartial({ md5, originalName: "<img src=x onerror=alert(1)>.jpg", info: { format: "jpeg", width: 10, height: 8, bytes: 123, kind: hasherV1.MediaKind.IMAGE }, ingestedUnixMs: 1000 });
  // A format no browser should render from here (as if a hasher had let an SVG through).
  const svgMd5 = "fedcba9876543210fedcba9876543210";
  const svg = catalogV1.Image.fromPartial({ md5: svgMd5, originalName: 'drawing "1".svg', info: { format: "svg", width: 10, height: 10, bytes: 123, kind: hasherV1.MediaKind.IMAGE }, ingestedUnixMs: 1000 });
  const images = new Map([[md5, image], [svgMd5, svg]]);
  /** Each original is these 123 bytes, sent in chunks of 50. */
  const originalBytes = Buffer.from(Array.from({ length: 123 }, (_, i) => i));
  const admin = opts.admin ?? "admin-token-0123456789";
  const read = opts.read ?? "read-token-0123456789";
  const denied = () => Object.assign(new Error("denied"), { code: 7, details: "token lacks the admin scope" });
  const pipeline: Pipeline = {
    stats: async (token) => (calls.push({ op: "stats", token }), catalogV1.GetStatsResponse.fromPartial({ images: 1 })),
    activity: async (minutes, token) => (calls.push({ op: "activity", token, arg: minutes }), { minutes: [], backlog: 3, inFlight: 2 }),
    listImages: async (req, token) => (calls.push({ op: "list", token, arg: req }), { images: [image], nextPageToken: "next-page" }),
    getImage: async (m) => images.get(m),
    original: async (m, offset, length, token) => {
      calls.push({ op: "original", token, arg: { md5: m, offset, length } });
      if (!images.has(m)) return undefined;
      const bytes = originalBytes.subarray(offset, length ? offset + length : undefined);
      async function* chunks() {
        for (let at = 0; at < bytes.length; at += 50) yield bytes.subarray(at, at + 50);
      }
      return { size: originalBytes.length, chunks: chunks(), cancel() {} };
    },
    thumbnail: async () => ({ data: Buffer.from("webp"), mime: "image/webp", width: 1, height: 1 }),
    similar: async () => [],
    deleteImage: async (m, token) => {
      calls.push({ op: "delete", token, arg: m });
      // The catalog decides: only the admin token (or the console's own, without tokens) may delete.
      if (token !== admin && token !== "own") throw denied();
      return true;
    },
    listRejections: async () => ({ rejections: [], nextPageToken: "" }),
    retryRejection: async (id, token) => void calls.push({ op: "retry", token, arg: id }),
    deleteRejection: async (id, token) => void calls.push({ op: "delete-rejection", token, arg: id }),
    hash: async () => hasherV1.HashResponse.fromPartial({ hashes: { phash64: "ffffffffffffffff" } }),
    watch: () => () => {},
    hashers: async () => ({ reachable: 1, total: 1 }),
    // One group per page, so the page's cursor is used.
    nearDuplicates: async (cursor, token) => {
      calls.push({ op: "near", token, arg: cursor });
      const open = groups.filter((g) => !decisions.has(g.id));
      const i = cursor ? open.findIndex((g) => g.id === cursor) : 0;
      const page = i < 0 ? [] : open.slice(i, i + 1);
      return { groups: page, next: open[i + 1]?.id ?? "" };
    },
    resolveNearDuplicates: async (id, decision, token) => {
      calls.push({ op: "resolve", token, arg: { id, decision } });
      if (token !== admin && token !== "own") throw denied();
      decisions.set(id, decision);
    },
    access: async (token, scope) => {
      if (token === admin) return { kind: "ok", name: "ops" };
      if (token === read && scope === "read") return { kind: "ok", name: "viewer" };
      return { kind: "denied", message: "no" };
    },
    close() {},
  };
  return { pipeline, calls, decisions, md5, svgMd5, originalBytes };
}
