import { fileURLToPath } from "node:url";

export * as hasherV1 from "./gen/booru/hasher/v1/hasher.js";
export * as catalogV1 from "./gen/booru/catalog/v1/catalog.js";
export * as ingestV1 from "./gen/booru/ingest/v1/events.js";
export { Reason } from "./gen/booru/ingest/v1/reason.js";
export * as authV1 from "./gen/booru/auth/v1/auth.js";

/** The compiled FileDescriptorSet of every proto, for server reflection. */
export const descriptorSetPath = fileURLToPath(new URL("../descriptors.binpb", import.meta.url));
