import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { invalid, isTransient } from "./errors.js";

describe("isTransient", () => {
  it("retries an unreachable database, not a bad request to it", () => {
    expect(isTransient(new MongoNetworkError("connection 4 closed"))).toBe(true);
    expect(isTransient(new MongoServerSelectionError("connect ECONNREFUSED", { type: "Unknown" } as never))).toBe(true);
    // MongoDB's code 2 (BadValue) is not gRPC's 2 (UNKNOWN).
    expect(isTransient(new MongoServerError({ code: 2, errmsg: "bad value" }))).toBe(false);
  });

  it("retries unavailable services, not invalid input", () => {
    expect(isTransient(Object.assign(new Error("down"), { code: status.UNAVAILABLE }))).toBe(true);
    expect(isTransient(invalid("corrupt", "not an image"))).toBe(false);
  });
});
