import { openSqlite } from "@booru/runtime";
import { claimsContract } from "../test/contract.js";
import { SqliteClaimsStore } from "./sqlite.js";

claimsContract("SQLite (memory)", async () => new SqliteClaimsStore(openSqlite(":memory:")));
