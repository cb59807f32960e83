import { catalogV1 } from "@booru/proto";
import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from "@grpc/grpc-js";
import { bearer, channelCredentials, channelOptions, deadline } from "@booru/runtime";

export type CatalogClient = catalogV1.CatalogClient;

export function createCatalogClient(target: string, opts: { caFile?: string } = {}): CatalogClient {
  return new catalogV1.CatalogClient(target, channelCredentials(opts.caFile), channelOptions());
}

/** The last overload of a generated client method: (request, metadata, options, callback). */
export type UnaryMethod<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (err: ServiceError | null, res: Res) => void) => ClientUnaryCall;

/** Calls a unary method with a bearer token and a deadline: `unary(client.getImage.bind(client), { md5 }, { token })`. */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, opts: { token?: string; timeoutMs?: number } = {}): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    method(req, bearer(opts.token), deadline(opts.timeoutMs ?? 30_000), (err, res) => (err ? reject(err) : resolve(res)));
  });
}
