import { readFileSync } from "node:fs";
import { createHash, timingSafeEqual } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";
import { AppError } from "./errors.js";

export type Scope = "read" | "write" | "admin";
const SCOPES: readonly Scope[] = ["read", "write", "admin"];

export interface TokenEntry {
  name: string;
  scopes: Set<Scope>;
  digest: Buffer;
}

const digest = (token: string) => createHash("sha256").update(token).digest();

/**
 * Tokens file: one token per line, `<token> <scope,scope> [name]`; `#` starts a comment.
 * `admin` implies write and read, `write` implies read.
 */
export function parseTokens(text: string, source = "tokens file"): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.replace(/#.*/, "").trim();
    if (!trimmed) return;
    const [token, scopeList, name] = trimmed.split(/\s+/);
    if (!token || !scopeList || token.length < 16) throw new Error(`${source}:${i + 1}: expected "<token of 16+ characters> <scopes> [name]"`);
    const scopes = new Set<Scope>();
    for (const s of scopeList.split(",")) {
      if (!SCOPES.includes(s as Scope)) throw new Error(`${source}:${i + 1}: unknown scope ${JSON.stringify(s)} (allowed: ${SCOPES.join(", ")})`);
      scopes.add(s as Scope);
    }
    if (scopes.has("admin")) scopes.add("write");
    if (scopes.has("write") || scopes.has("admin")) scopes.add("read");
    entries.push({ name: name ?? `line${i + 1}`, scopes, digest: digest(token) });
  });
  return entries;
}

export function loadTokens(file: string): TokenEntry[] {
  return parseTokens(readFileSync(file, "utf8"), file);
}

export class Authenticator {
  constructor(private readonly entries: TokenEntry[]) {}

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Throws UNAUTHENTICATED / PERMISSION_DENIED; returns the caller's name. */
  check(metadata: Metadata, scope: Scope): string {
    if (!this.enabled) return "anonymous";
    const header = String(metadata.get("authorization")[0] ?? "");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new AppError(status.UNAUTHENTICATED, "missing bearer token");
    const d = digest(m[1]!);
    const entry = this.entries.find((e) => timingSafeEqual(e.digest, d));
    if (!entry) throw new AppError(status.UNAUTHENTICATED, "unknown token");
    if (!entry.scopes.has(scope)) throw new AppError(status.PERMISSION_DENIED, `token ${entry.name} lacks the ${scope} scope`);
    return entry.name;
  }
}

/** Metadata carrying a bearer token, for clients. */
export function bearer(token: string | undefined): Metadata {
  const md = new Metadata();
  if (token) md.set("authorization", `Bearer ${token}`);
  return md;
}
