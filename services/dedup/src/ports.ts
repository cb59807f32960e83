/** What dedup needs from the hasher and the catalog; gRPC adapters here, fakes in unit tests. */
import type { Metadata } from "@grpc/grpc-js";
import type { catalogV1, hasherV1 } from "@booru/proto";
import { callHash, type HasherClient } from "@booru/hasher/client";
import type { CatalogClient } from "@booru/catalog/client";
import { unary, type UnaryMethod } from "@booru/runtime/client";

export interface HasherPort {
  hash(fileName: string, size: number, chunks: AsyncIterable<Buffer>): Promise<hasherV1.HashResponse>;
}

/** What PutImage found: a record it created, or the one already there (and whose file it records). */
export interface PutResult {
  created: boolean;
  sourcePath: string;
}

export interface CatalogPort {
  putImage(req: catalogV1.PutImageRequest): Promise<PutResult>;
  recordDuplicate(dup: catalogV1.Duplicate): Promise<void>;
  recordRejection(rej: catalogV1.Rejection): Promise<void>;
}

export function grpcHasher(client: HasherClient, timeoutMs: number, metadata: () => Metadata): HasherPort {
  return { hash: (fileName, size, chunks) => callHash(client, chunks, { fileName, size }, timeoutMs, metadata()) };
}

export function grpcCatalog(client: CatalogClient, timeoutMs: number, metadata: () => Metadata): CatalogPort {
  const call = <Req, Res>(method: UnaryMethod<Req, Res>, req: Req) => unary(method.bind(client), req, { metadata: metadata(), timeoutMs });
  return {
    putImage: async (req) => {
      const res = await call(client.putImage, req);
      return { created: res.created, sourcePath: res.image?.sourcePath ?? "" };
    },
    recordDuplicate: async (duplicate) => void (await call(client.recordDuplicate, { duplicate })),
    recordRejection: async (rejection) => void (await call(client.recordRejection, { rejection })),
  };
}
