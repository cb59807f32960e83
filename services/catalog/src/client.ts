/** The catalog's client entry point (`@booru/catalog/client`): no server, store or bus code. */
import { catalogV1 } from "@booru/proto";
import { channelCredentials, channelOptions } from "@booru/runtime/client";

export { unary, type UnaryMethod, type UnaryOptions } from "@booru/runtime/client";

export type CatalogClient = catalogV1.CatalogClient;

export function createCatalogClient(target: string, opts: { caFile?: string } = {}): CatalogClient {
  return new catalogV1.CatalogClient(target, channelCredentials(opts.caFile), channelOptions());
}
