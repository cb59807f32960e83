/** Request checks: every bad input is a clear INVALID_ARGUMENT naming the field, nothing stored. */
import path from "node:path";
import { catalogV1 } from "@booru/proto";
import { badRequest, parseReason, REASON_NAMES } from "@booru/runtime";
import { DEFAULT_SIGNATURE_DISTANCE, parseSignature } from "@booru/hasher/signature";
import { BITS, type Algorithm } from "./hashes.js";
import type { Cursor } from "./repos/types.js";

const MD5 = /^[0-9a-f]{32}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]*$/;
const MAX_TEXT = 4096;

export function md5Arg(value: string | undefined, field = "md5"): string {
  const md5 = (value ?? "").trim().toLowerCase();
  if (!MD5.test(md5)) throw badRequest(`${field} must be 32 hex digits, got ${JSON.stringify(value ?? "").slice(0, 80)}`);
  return md5;
}

export function sha256Arg(value: string | undefined): string {
  const sha = (value ?? "").trim().toLowerCase();
  if (!SHA256.test(sha)) throw badRequest("sha256 must be 64 hex digits");
  return sha;
}

/** A rejection reason as users see it (one of the Reason enum's names). */
export function reasonArg(value: string, field: string): string {
  if (!parseReason(value)) throw badRequest(`${field} must be one of ${REASON_NAMES.join(", ")}, got ${JSON.stringify(value).slice(0, 80)}`);
  return value;
}

/** 1..max, 0 means the default. */
export function limitArg(value: number, def: number, max: number, field: string): number {
  if (value === 0) return def;
  if (value > max) throw badRequest(`${field} must be 1..${max}, got ${value}`);
  return value;
}

export function encodeToken(cursor: Cursor | undefined): string {
  return cursor ? Buffer.from(JSON.stringify([cursor.at, cursor.key])).toString("base64url") : "";
}

export function decodeToken(token: string): Cursor | undefined {
  if (!token) return undefined;
  try {
    const [at, key] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof at === "number" && Number.isSafeInteger(at) && typeof key === "string" && key.length <= 256) return { at, key };
  } catch {
    // fall through to the error below
  }
  throw badRequest("page_token is not one this server returned");
}

function checkHash(name: string, value: string | undefined, chars: number): void {
  if (value && (value.length !== chars || !HEX.test(value))) throw badRequest(`hashes.${name} must be ${chars} lowercase hex digits`);
}

/** A record from dedup: identity, hashes of the right shape, a library path that stays relative. */
export function checkImage(image: catalogV1.Image | undefined, now: number): catalogV1.Image {
  if (!image) throw badRequest("image is required");
  const md5 = md5Arg(image.md5, "image.md5");
  const h = image.hashes;
  if (!h) throw badRequest("image.hashes is required");
  if (h.md5 && h.md5.toLowerCase() !== md5) throw badRequest("image.hashes.md5 differs from image.md5");
  sha256Arg(h.sha256);
  for (const name of ["phash64", "dhash64", "ahash64"] as const) checkHash(name, h[name], 16);
  for (const name of ["phash256", "blockhash256"] as const) checkHash(name, h[name], 64);
  if (h.frameSignature && (h.frameSignature !== h.frameSignature.toLowerCase() || !parseSignature(h.frameSignature))) throw badRequest("hashes.frame_signature must be 256 lowercase hex digits (16 phash64 values)");
  const lib = image.libraryPath;
  if (!lib || path.isAbsolute(lib) || lib.split(/[\\/]/).includes("..") || lib.includes("\0")) throw badRequest("image.library_path must be a relative path inside the library");
  for (const [field, value] of [["original_name", image.originalName], ["source_path", image.sourcePath], ["library_path", lib]] as const) {
    if (value.length > MAX_TEXT) throw badRequest(`image.${field} is longer than ${MAX_TEXT} characters`);
  }
  return { ...image, md5, hashes: { ...h, md5, sha256: h.sha256.toLowerCase() }, ingestedUnixMs: image.ingestedUnixMs || now };
}

export function checkEventId(id: string, what: string): void {
  if (!id || id.length > 256) throw badRequest(`${what}.id is required (at most 256 characters)`);
}

export function defaultDistance(algorithm: Algorithm): number {
  if (algorithm === "frames") return DEFAULT_SIGNATURE_DISTANCE;
  return BITS[algorithm] === 64 ? 8 : 32;
}
