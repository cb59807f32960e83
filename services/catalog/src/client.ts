import { catalogV1 } from "@booru/proto";
import { channelCredentials, channelOptions } from "@booru/runtime";

export type CatalogClient = catalogV1.CatalogClient;

export function createCatalogClient(target: string, opts: { caFile?: string } = {}): CatalogClient {
  return new catalogV1.CatalogClient(target, channelCredentials(opts.caFile), channelOptions());
}
