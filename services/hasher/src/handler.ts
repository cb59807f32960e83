/** Thin gRPC adapter: options from the first message, bytes from the rest. */
import type { ServerReadableStream } from "@grpc/grpc-js";
import { badRequest } from "@booru/runtime";
import type { hasherV1 } from "@booru/proto";
import type { HashService } from "./service.js";
import type { HasherMetrics } from "./metrics.js";

type HashCall = ServerReadableStream<hasherV1.HashRequest, hasherV1.HashResponse>;

export function hashHandler(service: HashService, metrics: HasherMetrics) {
  return (call: HashCall) => metrics.observe(() => hashCall(service, metrics, call));
}

async function hashCall(service: HashService, metrics: HasherMetrics, call: HashCall): Promise<hasherV1.HashResponse> {
  const messages = call[Symbol.asyncIterator]() as AsyncIterator<hasherV1.HashRequest>;
  const first = await messages.next();
  const options = first.done ? undefined : first.value.options;
  // A client bug, not a property of the file: no reason code, so nobody rejects the file for it.
  if (!options) throw badRequest("the first message must carry the options");
  service.checkDeclaredSize(options.size);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let m = await messages.next(); !m.done; m = await messages.next()) {
      if (m.value.chunk) {
        metrics.bytes.inc(m.value.chunk.length);
        yield m.value.chunk;
      }
    }
  }
  return service.hash(chunks(), { fileName: options.fileName, size: options.size, thumbnail: options.thumbnail });
}
