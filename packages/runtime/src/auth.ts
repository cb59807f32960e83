import { readFileSync } from "node:fs";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";
import { AppError } from "./errors.js";
import { ConfigError } from "./config.js";

export type Scope = "read" | "hash" | "write" | "admin";
export const SCOPES: readonly Scope[] = ["read", "hash", "write", "admin"];

/** What each scope brings with it: admin implies write, write implies read and hash. */
const IMPLIES: Record<Scope, Scope[]> = { read: [], hash: [], write: ["read", "hash"], admin: ["write", "read", "hash"] };

export interface TokenEntry {
  name: string;
  scopes: Set<Scope>;
  digest: Buffer;
}

const digest = (token: string) => createHash("sha256").update(token).digest();

const FORMAT = '"<token of 16+ characters> <scope,scope> [name]"';

/**
 * Tokens file: one token per line, `<token> <scope,scope> [name]`; `#` starts a comment.
 * The same token on two lines is refused (which scopes would it have?).
 */
export function parseTokens(text: string, source = "tokens file"): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const lineOf = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const at = `${source}:${i + 1}`;
    const trimmed = line.replace(/#.*/, "").trim();
    if (!trimmed) return;
    const [token, scopeList, name] = trimmed.split(/\s+/);
    if (!token || !scopeList || token.length < 16) throw new ConfigError(`${at}: expected ${FORMAT}`);
    const scopes = new Set<Scope>();
    for (const s of scopeList.split(",")) {
      if (!SCOPES.includes(s as Scope)) throw new ConfigError(`${at}: unknown scope ${JSON.stringify(s)} (allowed: ${SCOPES.join(", ")})`);
      scopes.add(s as Scope);
      for (const implied of IMPLIES[s as Scope]) scopes.add(implied);
    }
    const key = digest(token).toString("hex");
    const first = lineOf.get(key);
    if (first !== undefined) throw new ConfigError(`${at}: the same token as line ${first}; give each token one line`);
    lineOf.set(key, i + 1);
    entries.push({ name: name ?? `line${i + 1}`, scopes, digest: digest(token) });
  });
  return entries;
}

/** Reads BOORU_TOKENS_FILE; a file that cannot be read or holds no token stops the start. */
export function loadTokens(file: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read BOORU_TOKENS_FILE ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const entries = parseTokens(text, file);
  if (entries.length === 0) throw new ConfigError(`BOORU_TOKENS_FILE ${file} holds no token: add lines ${FORMAT}`);
  return entries;
}

/** A fresh random token for calls between the modules of one process; never leaves the process. */
export const newInternalToken = (): string => randomBytes(32).toString("base64url");

const INTERNAL = "internal";

export class Authenticator {
  private readonly internal?: Buffer;

  /**
   * `internalToken`: the token this process's own modules present to each other. It has every
   * scope but admin, and no remote caller can know it (random per process start).
   */
  constructor(
    private readonly entries: TokenEntry[],
    internalToken?: string,
  ) {
    if (internalToken) this.internal = digest(internalToken);
  }

  /** True when tokens are configured; without them every caller is "anonymous". */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Throws UNAUTHENTICATED / PERMISSION_DENIED; returns the caller's name. */
  check(metadata: Metadata, scope: Scope): string {
    if (!this.enabled) return "anonymous";
    const header = String(metadata.get("authorization")[0] ?? "").trim();
    if (!header) throw new AppError(status.UNAUTHENTICATED, "missing bearer token");
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new AppError(status.UNAUTHENTICATED, 'malformed authorization header: expected "Bearer <token>"');
    const d = digest(m[1]!);
    if (this.internal && timingSafeEqual(this.internal, d)) {
      if (scope === "admin") throw new AppError(status.PERMISSION_DENIED, `token ${INTERNAL} lacks the admin scope`);
      return INTERNAL;
    }
    const entry = this.entries.find((e) => timingSafeEqual(e.digest, d));
    if (!entry) throw new AppError(status.UNAUTHENTICATED, "unknown token");
    if (!entry.scopes.has(scope)) throw new AppError(status.PERMISSION_DENIED, `token ${entry.name} lacks the ${scope} scope`);
    return entry.name;
  }
}

/** Metadata carrying a bearer token, for clients. Surrounding spaces (a pasted token) are dropped. */
export function bearer(token: string | undefined): Metadata {
  const md = new Metadata();
  const t = token?.trim();
  if (t) md.set("authorization", `Bearer ${t}`);
  return md;
}
