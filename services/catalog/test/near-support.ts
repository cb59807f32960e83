/** Real photos and generated variants, hashed by the real hasher, as catalog records. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { hashLocalFile } from "@booru/hasher";
import { catalogV1 } from "@booru/proto";
import { unary } from "../src/index.js";
import { CONFORMANCE_IMAGES } from "../../../test/harness/conformance.js";
import { TOKENS, type Running } from "./helpers.js";

export type Variant = "original" | "half" | "q40" | "crop2";

const MAKE: Record<Variant, (s: Sharp, w: number, h: number) => Promise<Buffer>> = {
  original: (s) => s.jpeg({ quality: 95 }).toBuffer(),
  half: (s, w) => s.resize({ width: Math.round(w / 2) }).png().toBuffer(),
  q40: (s) => s.jpeg({ quality: 40 }).toBuffer(),
  crop2: (s, w, h) => s.extract({ left: Math.round(w * 0.02), top: Math.round(h * 0.02), width: w - 2 * Math.round(w * 0.02), height: h - 2 * Math.round(h * 0.02) }).jpeg({ quality: 90 }).toBuffer(),
};

let dir: string | undefined;

/** A record of a variant of a conformance photo, as dedup would store it. */
export async function photoRecord(photo: string, variant: Variant): Promise<catalogV1.Image> {
  dir ??= await mkdtemp(path.join(tmpdir(), "near-photos-"));
  const src = path.join(CONFORMANCE_IMAGES, photo);
  const { width, height } = await sharp(src).metadata();
  const bytes = await MAKE[variant](sharp(src), width, height);
  const name = `${path.parse(photo).name}-${variant}.${variant === "half" ? "png" : "jpg"}`;
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const hashed = await hashLocalFile(file);
  return catalogV1.Image.fromPartial({ md5: hashed.hashes!.md5, hashes: hashed.hashes, info: hashed.info, originalName: name, sourcePath: `inbox/${name}`, libraryPath: `${hashed.hashes!.md5.slice(0, 2)}/${hashed.hashes!.md5}.jpg` });
}

export const put = (r: Running, image: catalogV1.Image) => unary(r.client.putImage.bind(r.client), { image: { ...image, ingestedUnixMs: Date.now() }, thumbnail: Buffer.alloc(0) }, { token: TOKENS.write });

export const listNear = (r: Running) => unary<catalogV1.ListNearDuplicatesRequest, catalogV1.ListNearDuplicatesResponse>(r.client.listNearDuplicates.bind(r.client), { pageSize: 0, pageToken: "" }, { token: TOKENS.read }).then((res) => res.groups);

export const resolveNear = (r: Running, req: Partial<catalogV1.ResolveNearDuplicatesRequest>, token = TOKENS.admin) =>
  unary<catalogV1.ResolveNearDuplicatesRequest, catalogV1.ResolveNearDuplicatesResponse>(r.client.resolveNearDuplicates.bind(r.client), catalogV1.ResolveNearDuplicatesRequest.fromPartial(req), { token });

export const rescanNear = (r: Running, token = TOKENS.admin) => unary<catalogV1.RescanNearDuplicatesRequest, catalogV1.RescanNearDuplicatesResponse>(r.client.rescanNearDuplicates.bind(r.client), {}, { token, timeoutMs: 60_000 });

export const getImage = (r: Running, md5: string) => unary<catalogV1.GetImageRequest, catalogV1.GetImageResponse>(r.client.getImage.bind(r.client), { md5 }, { token: TOKENS.read }).then((res) => res.image!);

/** Near-duplicates found over the last hour, as the web console's overview charts them. */
export const nearFoundInTheHour = (r: Running) =>
  unary<catalogV1.GetActivityRequest, catalogV1.GetActivityResponse>(r.client.getActivity.bind(r.client), { minutes: 60 }, { token: TOKENS.read }).then((res) => res.minutes.reduce((n, m) => n + m.nearDuplicates, 0));

/** Groups as sorted member lists, for comparing with what the test expects. */
export const memberSets = (groups: catalogV1.NearDuplicateGroup[]) => groups.map((g) => g.members.map((m) => m.md5).sort()).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
