export interface Session {
  tokens: boolean;
  authenticated: boolean;
  name?: string;
  admin?: boolean;
  csrf?: string;
}

export interface Card {
  md5: string;
  name: string;
  kind: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  ingested: number;
}

export interface Match {
  distance: number;
  image: Card;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let session: Session = { tokens: false, authenticated: false };
export const currentSession = () => session;

export async function loadSession(): Promise<Session> {
  session = await get<Session>("/api/session");
  return session;
}

export function setSession(s: Session): void {
  session = s;
}

async function parse<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) {
    if (res.status === 401 && location.pathname !== "/login") dispatchEvent(new CustomEvent("booru:login"));
    throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`);
  }
  return body;
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(path, { credentials: "same-origin", signal }));
}

/** State-changing calls carry the session's CSRF secret (the server refuses them without). */
export async function post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const raw = body instanceof Blob || body instanceof ArrayBuffer;
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { ...(raw ? { "content-type": "application/octet-stream" } : { "content-type": "application/json" }), "x-csrf-token": session.csrf ?? "", ...headers },
    body: raw ? (body as BodyInit) : JSON.stringify(body ?? {}),
  });
  return parse<T>(res);
}

type Listener = (type: string, data: unknown) => void;
const listeners = new Set<Listener>();
let source: EventSource | undefined;

/** The one live stream of this tab: pipeline events and queue status, as the server pushes them. */
export function live(listener: Listener): () => void {
  listeners.add(listener);
  if (!source) {
    source = new EventSource("/api/events");
    for (const type of ["pipeline", "status"]) {
      source.addEventListener(type, (e) => {
        const data: unknown = JSON.parse((e as MessageEvent<string>).data);
        for (const l of listeners) l(type, data);
      });
    }
  }
  return () => listeners.delete(listener);
}
