/** dedup's claims store: the port (types.ts) and its two adapters, SQLite and MongoDB. */
import type { ModuleContext } from "@booru/runtime";
import { MongoClaimsStore } from "./mongo.js";
import { SqliteClaimsStore } from "./sqlite.js";
import type { ClaimsStore } from "./types.js";

export type { AdoptedImage, Claim, ClaimResult, ClaimState, ClaimsStore } from "./types.js";
export { MongoClaimsStore, SqliteClaimsStore };

/** Opens the claims store this process is configured for: MongoDB when MONGO_URL is set, SQLite otherwise. */
export async function openClaimsStore(ctx: Pick<ModuleContext, "mongo" | "sqlite">): Promise<ClaimsStore> {
  const mongo = await ctx.mongo();
  return mongo ? new MongoClaimsStore(mongo.db) : new SqliteClaimsStore(ctx.sqlite());
}
