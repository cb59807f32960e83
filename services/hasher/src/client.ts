/** The hasher's client entry point (`@booru/hasher/client`): loads neither sharp nor the worker pool. */
import { once } from "node:events";
import { Metadata } from "@grpc/grpc-js";
import { hasherV1 } from "@booru/proto";
import { channelCredentials, channelOptions } from "@booru/runtime/client";

export type HasherClient = hasherV1.HasherClient;

/** A client for any grpc-js target; round_robin spreads calls over every resolved hasher. */
export function createHasherClient(target: string, opts: { caFile?: string } = {}): HasherClient {
  return new hasherV1.HasherClient(target, channelCredentials(opts.caFile), channelOptions());
}

/**
 * Streams a file to Hasher.Hash: options first, then the chunks as they come, honouring
 * backpressure. Rejects with the gRPC error (see reasonOf() for the reason code).
 */
export async function callHash(
  client: HasherClient,
  chunks: AsyncIterable<Buffer>,
  options: Partial<hasherV1.HashOptions>,
  timeoutMs: number,
  metadata = new Metadata(),
): Promise<hasherV1.HashResponse> {
  let call!: ReturnType<HasherClient["hash"]>;
  const result = new Promise<hasherV1.HashResponse>((resolve, reject) => {
    call = client.hash(metadata, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => (err ? reject(err) : resolve(res!)));
  });
  const send = async () => {
    call.write(hasherV1.HashRequest.fromPartial({ options }));
    for await (const chunk of chunks) {
      if (!call.write({ chunk })) await Promise.race([once(call, "drain"), result]);
    }
    call.end();
  };
  // If the server answers early (an error), stop sending and report its answer.
  await Promise.race([send(), result]).catch(() => undefined);
  return result;
}
