import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashLocalFile } from "@booru/hasher";
import { catalogV1 } from "@booru/proto";
import { unary } from "../src/index.js";
import { startCatalog, TOKENS, type Running } from "./helpers.js";
import { CONFORMANCE_IMAGES, haveConformance } from "../../../test/harness/conformance.js";

const IMAGES = CONFORMANCE_IMAGES;
const present = haveConformance("similar photos tests");

/** FindSimilar on real photos hashed by the real hasher: copies are found, other photos are not. */
describe.skipIf(!present)("similar photos", () => {
  let cat: Running;
  let tmp: string;
  const originals = (present ? readdirSync(IMAGES) : []).filter((f) => /\.(jpe?g|png)$/.test(f)).sort();
  const md5s = new Map<string, string>();

  beforeAll(async () => {
    cat = await startCatalog();
    tmp = await mkdtemp(path.join(tmpdir(), "similar-"));
    for (const [n, name] of originals.entries()) {
      const hashed = await hashLocalFile(path.join(IMAGES, name));
      const image = catalogV1.Image.fromPartial({ md5: hashed.hashes!.md5, hashes: hashed.hashes, info: hashed.info, originalName: name, libraryPath: `x/${name}`, ingestedUnixMs: 1_000 + n });
      await unary(cat.client.putImage.bind(cat.client), { image, thumbnail: Buffer.alloc(0) }, { token: TOKENS.write });
      md5s.set(name, image.md5);
    }
  });
  afterAll(async () => {
    await cat?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  const find = async (file: string, algo: "phash64" | "dhash64") => {
    const hashed = await hashLocalFile(file);
    const algorithm = algo === "phash64" ? catalogV1.SimilarAlgorithm.PHASH64 : catalogV1.SimilarAlgorithm.DHASH64;
    const res = await unary<catalogV1.FindSimilarRequest, catalogV1.FindSimilarResponse>(cat.client.findSimilar.bind(cat.client), catalogV1.FindSimilarRequest.fromPartial({ hash: hashed.hashes![algo], algorithm, maxDistance: 8 }), { token: TOKENS.read });
    return res.matches.map((m) => m.image!.originalName);
  };

  for (const algo of ["phash64", "dhash64"] as const) {
    it(`${algo}: finds a resized and a re-encoded copy of a photo, and only that photo`, async () => {
      const name = "00002701.jpg";
      const resized = path.join(tmp, "resized.png");
      const reencoded = path.join(tmp, "reencoded.jpg");
      await writeFile(resized, await sharp(path.join(IMAGES, name)).resize({ width: 400 }).png().toBuffer());
      await writeFile(reencoded, await sharp(path.join(IMAGES, name)).jpeg({ quality: 40 }).toBuffer());
      expect(await find(resized, algo)).toEqual([name]);
      expect(await find(reencoded, algo)).toEqual([name]);
      // Another photo of the set is not similar to it.
      expect(await find(path.join(IMAGES, "00011601.jpg"), algo)).not.toContain(name);
    });
  }
});
