/**
 * Conformance with the reference implementations (../shared/conformance beside the repo) and
 * robustness of the perceptual hashes, through the public local API (the server's code path).
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { hamming } from "./imagehash.js";
import { hashLocalFile } from "./local.js";
import { CONFORMANCE, haveConformance } from "../../../test/harness/conformance.js";

const present = haveConformance("hasher conformance tests");

const PERCEPTUAL = ["phash64", "phash256", "dhash64", "ahash64", "colorhash42"] as const;
// Bounds we reach (measured: 0 on every image; see the printed table) with room for decoder drift.
const BOUND = { phash64: 2, phash256: 4, dhash64: 2, ahash64: 2, colorhash42: 3 };
type Expected = Record<string, Record<string, string | number>>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

describe.skipIf(!present)("conformance with the reference implementations", () => {
  const expected: Expected = present ? JSON.parse(readFileSync(path.join(CONFORMANCE, "expected.json"), "utf8")) : {};
  const names = Object.keys(expected);

  it("matches md5, sha256, blockhash256 and size exactly, imagehash within the bounds", async () => {
    const distances: Record<string, number[]> = Object.fromEntries(PERCEPTUAL.map((k) => [k, []]));
    const table: string[] = [];
    for (const name of names) {
      const e = expected[name]!;
      const res = await hashLocalFile(path.join(CONFORMANCE, "images", name));
      const h = res.hashes!;
      expect({ md5: h.md5, sha256: h.sha256, blockhash256: h.blockhash256, width: res.info!.width, height: res.info!.height }, name).toEqual({
        md5: e.md5,
        sha256: e.sha256,
        blockhash256: e.blockhash256,
        width: e.width,
        height: e.height,
      });
      const row = PERCEPTUAL.map((k) => {
        const d = hamming(h[k], String(e[k]));
        distances[k]!.push(d);
        expect(d, `${name} ${k}`).toBeLessThanOrEqual(BOUND[k]);
        return `${k}=${d}`;
      });
      table.push(`${name.padEnd(18)} ${row.join(" ")}`);
    }
    console.log(`Hamming distance to imagehash 4.3, per image:\n${table.join("\n")}`);
    expect(median(distances.phash256!)).toBeLessThanOrEqual(2);
    for (const k of ["phash64", "dhash64", "ahash64"] as const) expect(median(distances[k]!), k).toBeLessThanOrEqual(1);
  });
});

describe.skipIf(!present)("robustness", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "hasher-robust-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const source = path.join(CONFORMANCE, "images", "00002701.jpg");
  const write = async (name: string, img: Sharp) => {
    const file = path.join(tmp, name);
    writeFileSync(file, await img.toBuffer());
    return file;
  };
  const distances = async (a: string, b: string) => {
    const [x, y] = [(await hashLocalFile(a)).hashes!, (await hashLocalFile(b)).hashes!];
    return { phash64: hamming(x.phash64, y.phash64), phash256: hamming(x.phash256, y.phash256), dhash64: hamming(x.dhash64, y.dhash64), ahash64: hamming(x.ahash64, y.ahash64), blockhash256: hamming(x.blockhash256, y.blockhash256) };
  };
  const close = { phash64: 6, phash256: 16, dhash64: 8, ahash64: 6, blockhash256: 20 };

  it("keeps a resized copy, a JPEG q70 re-encode and a 4x upscale (the shrink-on-load path) close", async () => {
    const copies = {
      half: await write("half.png", sharp(source).resize(322)),
      q70: await write("q70.jpg", sharp(source).jpeg({ quality: 70 })),
      big: await write("big.jpg", sharp(source).resize(2572).jpeg({ quality: 90 })),
    };
    for (const [name, file] of Object.entries(copies)) {
      const d = await distances(source, file);
      console.log(`robustness ${name}: ${JSON.stringify(d)}`);
      for (const [k, v] of Object.entries(d)) expect(v, `${name} ${k}`).toBeLessThanOrEqual(close[k as keyof typeof close]);
    }
  });

  it("hashes an EXIF-rotated copy like the upright image", async () => {
    // Pixels stored turned a quarter left, EXIF orientation 6 says "turn right to display".
    const rotated = await write("rotated.jpg", sharp(source).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }));
    const upright = await write("upright.jpg", sharp(source).jpeg({ quality: 95 }));
    const res = await hashLocalFile(rotated);
    expect(res.info!.orientation).toBe(6);
    const d = await distances(upright, rotated);
    console.log(`robustness exif-rotated: ${JSON.stringify(d)}`);
    for (const [k, v] of Object.entries(d)) expect(v, k).toBeLessThanOrEqual(close[k as keyof typeof close]);
  });

  it("keeps unrelated photos far apart", async () => {
    const files = ["00002701.jpg", "00011601.jpg", "00136101.jpg", "clipper_ship.jpg", "stoplights.jpg"].map((n) => path.join(CONFORMANCE, "images", n));
    for (let i = 0; i < files.length; i++) {
      for (let j = i + 1; j < files.length; j++) {
        const d = await distances(files[i]!, files[j]!);
        expect(d.phash256, `${files[i]} vs ${files[j]}`).toBeGreaterThan(80);
        expect(d.phash64 + d.dhash64 + d.ahash64, `${files[i]} vs ${files[j]}`).toBeGreaterThan(45);
      }
    }
  });
});
