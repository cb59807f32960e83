/** What dedup needs from the hasher and the catalog; gRPC adapters here, fakes in unit tests. */
import type { Metadata } from "@grpc/grpc-js";
import type { catalogV1, hasherV1 } from "@booru/proto";
import { callHash, type HasherClient } from "@booru/hasher/client";
import type { CatalogClient } from "@booru/catalog/client";
import { unary, type UnaryMethod } from "@booru/runtime/client";

export interface HasherPort {
  hash(fileName: string, size: number, chunks: AsyncIterable<Buffer>): Promise<hasherV1.HashResponse>;
}

export interface CatalogPort {
  putImage(req: catalogV1.PutImageRequest): Promise<void>;
  recordDuplicate(dup: catalogV1.Duplicate): Promise<void>;
  recordRejection(rej: catalogV1.Rejection): Promise<void>;
}

export function grpcHasher(client: HasherClient, timeoutMs: number, metadata: () => Metadata): HasherPort {
  return { hash: (fileName, size, chunks) => callHash(client, chunks, { fileName, size }, timeoutMs, metadata()) };
}

export function grpcCatalog(client: CatalogClient, timeoutMs: number, metadata: () => Metadata): CatalogPort {
  const call = async <Req, Res>(method: UnaryMethod<Req, Res>, req: Req) => void (await unary(method.bind(client), req, { metadata: metadata(), timeoutMs }));
  return {
    putImage: (req) => call(client.putImage, req),
    recordDuplicate: (duplicate) => call(client.recordDuplicate, { duplicate }),
    recordRejection: (rejection) => call(client.recordRejection, { rejection }),
  };
}
