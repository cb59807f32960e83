import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Metadata, status } from "@grpc/grpc-js";
import { Authenticator, bearer, loadTokens, newInternalToken, parseTokens } from "./auth.js";
import { ConfigError } from "./config.js";

const header = (value: string) => {
  const md = new Metadata();
  md.set("authorization", value);
  return md;
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code: number }).code;
  }
  return status.OK;
};

describe("tokens file", () => {
  it("refuses the same token on two lines, naming both", () => {
    expect(() => parseTokens("aaaaaaaaaaaaaaaaaaaa read viewer\n# spare\naaaaaaaaaaaaaaaaaaaa admin ops\n", "tokens")).toThrow(new ConfigError("tokens:3: the same token as line 1; give each token one line"));
  });

  it("says an empty file is empty, not that no file is set", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tokens-"));
    writeFileSync(path.join(dir, "tokens"), "# nothing yet\n\n");
    expect(() => loadTokens(path.join(dir, "tokens"))).toThrow(/BOORU_TOKENS_FILE .*tokens holds no token: add lines/);
    expect(() => loadTokens(path.join(dir, "missing"))).toThrow(/cannot read BOORU_TOKENS_FILE .*missing: ENOENT/);
  });

  it("knows the hash scope; write implies read and hash, admin everything", () => {
    const [hash, write, admin] = parseTokens("hash-token-0123456789 hash h\nwrite-token-0123456789 write w\nadmin-token-0123456789 admin a\n");
    expect([...hash!.scopes].sort()).toEqual(["hash"]);
    expect([...write!.scopes].sort()).toEqual(["hash", "read", "write"]);
    expect([...admin!.scopes].sort()).toEqual(["admin", "hash", "read", "write"]);
  });
});

describe("Authenticator", () => {
  const auth = new Authenticator(parseTokens("read-token-0123456789 read viewer\n"), "internal-secret-of-this-process");

  it("takes a token with surrounding spaces (a pasted token) as that token", () => {
    expect(auth.check(header("Bearer read-token-0123456789 "), "read")).toBe("viewer");
    expect(auth.check(bearer(" read-token-0123456789\n"), "read")).toBe("viewer");
  });

  it("says what is wrong: missing, malformed, unknown, lacking a scope", () => {
    expect(() => auth.check(new Metadata(), "read")).toThrow("missing bearer token");
    expect(() => auth.check(header("Basic abc"), "read")).toThrow(/malformed authorization header/);
    expect(codeOf(() => auth.check(header("Bearer nope-nope-nope-nope"), "read"))).toBe(status.UNAUTHENTICATED);
    expect(() => auth.check(header("Bearer read-token-0123456789"), "hash")).toThrow("token viewer lacks the hash scope");
  });

  it("lets this process's modules call each other with the internal token, never for admin", () => {
    expect(auth.check(bearer("internal-secret-of-this-process"), "write")).toBe("internal");
    expect(auth.check(bearer("internal-secret-of-this-process"), "hash")).toBe("internal");
    expect(codeOf(() => auth.check(bearer("internal-secret-of-this-process"), "admin"))).toBe(status.PERMISSION_DENIED);
    // Another process has another internal token.
    expect(codeOf(() => auth.check(bearer(newInternalToken()), "read"))).toBe(status.UNAUTHENTICATED);
    expect(newInternalToken()).not.toBe(newInternalToken());
  });
});
