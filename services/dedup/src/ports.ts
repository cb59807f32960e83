/** What dedup needs from the hasher and the catalog; gRPC adapters here, fakes in unit tests. */
import type { Metadata } from "@grpc/grpc-js";
import type { catalogV1, hasherV1 } from "@booru/proto";
import { callHash, type HasherClient } from "@booru/hasher";
import type { CatalogClient } from "@booru/catalog";

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

type Unary<Req> = (req: Req, md: Metadata, opts: { deadline: Date }, cb: (err: Error | null) => void) => unknown;

function unary<Req>(fn: Unary<Req>, timeoutMs: number, metadata: () => Metadata) {
  return (req: Req) =>
    new Promise<void>((resolve, reject) => {
      fn(req, metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err) => (err ? reject(err) : resolve()));
    });
}

export function grpcCatalog(client: CatalogClient, timeoutMs: number, metadata: () => Metadata): CatalogPort {
  const put = unary<catalogV1.PutImageRequest>(client.putImage.bind(client) as never, timeoutMs, metadata);
  const dup = unary<catalogV1.RecordDuplicateRequest>(client.recordDuplicate.bind(client) as never, timeoutMs, metadata);
  const rej = unary<catalogV1.RecordRejectionRequest>(client.recordRejection.bind(client) as never, timeoutMs, metadata);
  return {
    putImage: put,
    recordDuplicate: (duplicate) => dup({ duplicate }),
    recordRejection: (rejection) => rej({ rejection }),
  };
}
