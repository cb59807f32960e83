import { describe, expect, it } from "vitest";
import { catalogV1 } from "@booru/proto";
import { httpStatusOf } from "./http.js";
import { nearGroup } from "./pipeline.js";

describe("near-duplicate groups from the catalog", () => {
  it("become the page's groups: the keeper named, each member's name and facts", () => {
    const g = catalogV1.NearDuplicateGroup.fromPartial({
      id: "g7",
      suggestedKeep: "a".repeat(32),
      members: [
        { md5: "a".repeat(32), originalName: "big.png", width: 640, height: 480, bytes: 90_000, format: "png", ingestedUnixMs: 5, distance: 0 },
        { md5: "b".repeat(32), originalName: "small.jpg", width: 320, height: 240, bytes: 9_000, format: "jpeg", ingestedUnixMs: 6, distance: 2 },
      ],
    });
    expect(nearGroup(g)).toEqual({
      id: "g7",
      suggestedKeeper: "a".repeat(32),
      members: [
        { md5: "a".repeat(32), name: "big.png", width: 640, height: 480, bytes: 90_000, format: "png", ingestedUnixMs: 5, distance: 0 },
        { md5: "b".repeat(32), name: "small.jpg", width: 320, height: 240, bytes: 9_000, format: "jpeg", ingestedUnixMs: 6, distance: 2 },
      ],
    });
  });

  it("an older catalog without the methods answers 501, a refusal 403", () => {
    expect(httpStatusOf(Object.assign(new Error("x"), { code: 12 }))).toBe(501);
    expect(httpStatusOf(Object.assign(new Error("x"), { code: 7 }))).toBe(403);
  });
});
