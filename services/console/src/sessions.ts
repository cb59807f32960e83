import { randomBytes, timingSafeEqual } from "node:crypto";

export interface Session {
  id: string;
  /** Sent back in the X-CSRF-Token header of every state-changing request. */
  csrf: string;
  /** The user's token, forwarded to the catalog; undefined without tokens (the console's own is used). */
  token?: string;
  name: string;
  admin: boolean;
  expires: number;
}

export const COOKIE = "booru_session";
const MAX_SESSIONS = 10_000;

const random = () => randomBytes(32).toString("base64url");

/** Sessions in memory: a restart logs everyone out, which is fine for a console. */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: { token?: string; name: string; admin: boolean }): Session {
    this.sweep();
    // Oldest first out when full: a flood of logins cannot grow memory without bound.
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
    const session = { id: random(), csrf: random(), ...user, expires: this.now() + this.ttlMs };
    this.byId.set(session.id, session);
    return session;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.byId) if (s.expires <= now) this.byId.delete(id);
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export function sessionCookie(id: string, opts: { secure: boolean; maxAgeS?: number }): string {
  const attrs = [`${COOKIE}=${id}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${opts.maxAgeS ?? 0}`];
  if (opts.secure) attrs.push("Secure");
  return attrs.join("; ");
}
