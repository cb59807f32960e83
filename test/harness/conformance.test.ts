import { afterEach, describe, expect, it, vi } from "vitest";
import { CONFORMANCE, haveConformance, underCi } from "./conformance.js";

describe("reference vectors (../shared/conformance)", () => {
  afterEach(() => vi.restoreAllMocks());
  const missing = "/nonexistent/shared/conformance";

  it("are found beside the repo", () => {
    expect(haveConformance("this test", { CI: "true" }, CONFORMANCE)).toBe(true);
  });

  it("missing under CI=true fails the run instead of skipping", () => {
    expect(() => haveConformance("hasher conformance tests", { CI: "true" }, missing)).toThrow(/\/nonexistent\/shared\/conformance is missing.*under CI this fails the run/);
  });

  it("missing outside CI skips with a warning", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(haveConformance("hasher conformance tests", {}, missing)).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("skipped"));
  });

  it("reads CI as most CI systems set it", () => {
    expect([underCi({ CI: "true" }), underCi({ CI: "1" }), underCi({ CI: "false" }), underCi({ CI: "" }), underCi({})]).toEqual([true, true, false, false, false]);
  });
});
