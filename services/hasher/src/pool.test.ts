import { describe, expect, it } from "vitest";
import { workerFile } from "./pool.js";

describe("workerFile", () => {
  it("points at the compiled worker in dist when running from TypeScript sources", () => {
    expect(workerFile("file:///repo/services/hasher/src/pool.ts")).toBe("/repo/services/hasher/dist/worker.js");
    expect(workerFile("file:///repo/services/hasher/dist/pool.js")).toBe("/repo/services/hasher/dist/worker.js");
  });
});
