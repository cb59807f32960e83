import { describe, expect, it } from "vitest";
import { catalogV1 } from "@booru/proto";
import { bestKeeper, parseKeeper } from "./keeper.js";
import { components } from "./components.js";

const image = (md5: string, width: number, height: number, format: string, bytes: number, ingestedUnixMs: number) =>
  catalogV1.Image.fromPartial({ md5: md5.repeat(32), info: { width, height, format, bytes }, ingestedUnixMs });

describe("the suggested keeper", () => {
  it("most pixels, then lossless, then more bytes, then the earliest", () => {
    const small = image("a", 100, 100, "png", 9_000_000, 1);
    const jpeg = image("b", 200, 100, "jpeg", 50_000, 1);
    const png = image("c", 200, 100, "png", 40_000, 5);
    const pngLater = image("d", 200, 100, "png", 40_000, 9);
    expect(bestKeeper([small, jpeg])!.md5).toBe(jpeg.md5);
    expect(bestKeeper([jpeg, png])!.md5).toBe(png.md5);
    expect(bestKeeper([pngLater, png])!.md5).toBe(png.md5);
    expect(bestKeeper([small, jpeg, png, pngLater], parseKeeper("bytes"))!.md5).toBe(small.md5);
    expect(bestKeeper([jpeg, png], parseKeeper("bytes,pixels"))!.md5).toBe(jpeg.md5);
  });

  it("refuses an unknown criterion", () => {
    expect(() => parseKeeper("pixels,prettiest")).toThrow(/prettiest/);
  });
});

describe("components", () => {
  it("joins pairs into groups and leaves singletons alone", () => {
    expect(components(["a", "b", "c", "d", "e"], [{ a: "a", b: "b", distance: 0 }, { a: "b", b: "c", distance: 0 }, { a: "d", b: "x", distance: 0 }])).toEqual([["a", "b", "c"], ["d"], ["e"]]);
  });
});
