import { status, type ServiceError } from "@grpc/grpc-js";
import { authV1 } from "@booru/proto";
import { bearer, type Scope } from "./auth.js";
import { channelCredentials, channelOptions } from "./grpc-client.js";

export type Access =
  | { kind: "ok"; name: string }
  /** The server answered: the token is missing, unknown or lacks the scope. */
  | { kind: "denied"; message: string }
  /** No answer in time (not up yet?): try again later. */
  | { kind: "unreachable"; message: string };

const SCOPE: Record<Scope, authV1.Scope> = { read: authV1.Scope.READ, hash: authV1.Scope.HASH, write: authV1.Scope.WRITE, admin: authV1.Scope.ADMIN };

/** Auth.Check: may this token do `scope` at `target`? Asked once at start instead of failing per call. */
export async function checkAccess(target: string, token: string | undefined, scope: Scope, opts: { caFile?: string; timeoutMs?: number } = {}): Promise<Access> {
  const client = new authV1.AuthClient(target, channelCredentials(opts.caFile), channelOptions());
  const deadline = new Date(Date.now() + (opts.timeoutMs ?? 5_000));
  try {
    // Connect first (a peer starting up gets the whole timeout); a call alone fails at once.
    const connectErr = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (err) => resolve(err)));
    if (connectErr) return { kind: "unreachable", message: connectErr.message };
    return await new Promise<Access>((resolve) => {
      client.check({ scope: SCOPE[scope] }, bearer(token), { deadline }, (err: ServiceError | null, res?: authV1.CheckResponse) => {
        if (!err) resolve({ kind: "ok", name: res!.name });
        else if (err.code === status.UNAUTHENTICATED || err.code === status.PERMISSION_DENIED) resolve({ kind: "denied", message: err.details });
        else resolve({ kind: "unreachable", message: err.details || err.message });
      });
    });
  } finally {
    client.close();
  }
}
