import { describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { invalid, isTransient } from "./errors.js";
import { Reason } from "./reasons.js";

describe("isTransient", () => {
  it("retries an unreachable database, not a bad request to it", () => {
    expect(isTransient(new MongoNetworkError("connection 4 closed"))).toBe(true);
    expect(isTransient(new MongoServerSelectionError("connect ECONNREFUSED", { type: "Unknown" } as never))).toBe(true);
    // MongoDB's code 2 (BadValue) is not gRPC's 2 (UNKNOWN).
    expect(isTransient(new MongoServerError({ code: 2, errmsg: "bad value" }))).toBe(false);
  });

  it("retries unavailable services, not invalid input", () => {
    expect(isTransient(Object.assign(new Error("down"), { code: status.UNAVAILABLE }))).toBe(true);
    expect(isTransient(invalid(Reason.CORRUPT, "not an image"))).toBe(false);
  });
});

describe("isTransient: what fails the same way again is not waited on", () => {
  it("retries UNAVAILABLE, DEADLINE_EXCEEDED and ABORTED only", () => {
    const grpc = (code: status) => Object.assign(new Error(status[code]), { code });
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.ABORTED]) expect(isTransient(grpc(code)), status[code]).toBe(true);
    for (const code of [status.UNKNOWN, status.CANCELLED, status.RESOURCE_EXHAUSTED, status.INTERNAL, status.INVALID_ARGUMENT, status.PERMISSION_DENIED, status.UNAUTHENTICATED]) {
      expect(isTransient(grpc(code)), status[code]).toBe(false);
    }
    expect(isTransient(new Error("a bug"))).toBe(false);
    expect(isTransient(Object.assign(new Error("EACCES"), { code: "EACCES" }))).toBe(false);
  });
});
