import { describe, expect, it } from "vitest";
import { parseReason, Reason, REASON_NAMES, reasonName } from "./reasons.js";

describe("reason names", () => {
  it("keeps the strings stored records and scripts already use", () => {
    expect(REASON_NAMES).toEqual([
      ...["corrupt", "truncated", "unsupported", "too-large", "too-many-pixels", "md5-collision", "max-deliveries", "gave-up", "deleted", "outside-inbox", "unreadable"],
      ...["too-long", "too-many-frames", "unsupported-codec", "archive-bomb", "encrypted", "unsafe-path", "near-duplicate"],
    ]);
    expect(reasonName(Reason.TOO_MANY_PIXELS)).toBe("too-many-pixels");
  });

  it("maps every reason to a name and back, and refuses what is not one", () => {
    for (const name of REASON_NAMES) expect(reasonName(parseReason(name)!)).toBe(name);
    expect(parseReason("unspecified")).toBeUndefined();
    expect(parseReason("nonsense")).toBeUndefined();
    expect(() => reasonName(Reason.UNSPECIFIED)).toThrow();
  });
});
