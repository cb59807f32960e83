/**
 * No request path scans a collection: every command the catalog's repositories (and the
 * claims store on the ingest path) send is explained on the real server, and a collection scan
 * fails the test. FerretDB 1.24 pushes down equality only (no ranges, no sorts): the two
 * newest-first reads below are the known exceptions there, and only there.
 */
import { MongoClient, type CommandStartedEvent, type Db, type Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MongoClaimsStore } from "@booru/claims";
import { mongoUrl, uniqueName } from "../../../test/harness/index.js";
import { mongoRepos } from "../src/repos/mongo.js";
import { makeDuplicate, makeImage, makeRejection } from "./fixtures.js";

const READS = new Set(["find", "count", "aggregate", "update", "delete", "findAndModify"]);

/** The find that selects what a command reads or changes, for explain. */
function asFind(e: CommandStartedEvent): Document | undefined {
  const c = e.command;
  const coll = c[e.commandName] as string;
  switch (e.commandName) {
    case "find":
      return { find: coll, filter: c.filter ?? {}, ...(c.sort && { sort: c.sort }), ...(c.limit && { limit: c.limit }) };
    case "count":
      return { find: coll, filter: c.query ?? {} };
    case "aggregate": {
      const match = (c.pipeline as Document[])[0]?.$match as Document | undefined;
      return { find: coll, filter: match ?? {} };
    }
    case "update":
      return { find: coll, filter: (c.updates as Document[])[0]!.q };
    case "delete":
      return { find: coll, filter: (c.deletes as Document[])[0]!.q };
    case "findAndModify":
      return { find: coll, filter: c.query ?? {} };
  }
  return undefined;
}

/** Scan nodes in a plan: MongoDB's COLLSCAN stage, or PostgreSQL's Seq Scan under FerretDB. */
function scans(plan: unknown): string[] {
  if (!plan || typeof plan !== "object") return [];
  const node = plan as Record<string, unknown>;
  const own = node.stage === "COLLSCAN" || node["Node Type"] === "Seq Scan" ? [String(node.stage ?? node["Node Type"])] : [];
  return [...own, ...Object.values(node).flatMap(scans)];
}

describe("MongoDB query plans", () => {
  let client: MongoClient;
  let db: Db;
  const sent: CommandStartedEvent[] = [];

  beforeAll(async () => {
    client = new MongoClient(mongoUrl(), { monitorCommands: true });
    await client.connect();
    db = client.db(uniqueName("plans"));
  });
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });

  it("reads every lookup, counter and claim change through an index", async () => {
    const repos = await mongoRepos(db);
    const claims = new MongoClaimsStore(db);
    const images = Array.from({ length: 40 }, (_, i) => makeImage(`plan${i}`, { ingestedUnixMs: 1_000 + i, format: i % 2 ? "png" : "jpeg" }));
    // Enough rows that a planner would not scan a tiny table on purpose.
    for (let i = 0; i < images.length; i += 10) await Promise.all(images.slice(i, i + 10).map((image) => repos.images.put(image)));
    await db.command({ analyze: "images" }).catch(() => undefined);

    client.on("commandStarted", (e) => READS.has(e.commandName) && sent.push(e));
    const image = images[0]!;
    await repos.images.put(image);
    await repos.images.get(image.md5);
    await repos.images.getBySha256(image.hashes!.sha256);
    await repos.images.getMany([images[1]!.md5, images[2]!.md5]);
    await repos.images.thumbnail(image.md5);
    await repos.images.delete(images[3]!.md5);
    await repos.duplicates.put(makeDuplicate("dup", image.md5, 5));
    await repos.duplicates.count();
    await repos.rejections.put(makeRejection("rej", "corrupt", 5));
    await repos.rejections.countByReason();
    const first = await repos.images.list({}, 5);
    await repos.images.list({}, 5, first.next);
    await repos.images.stats(1_030);
    const claim = { md5: image.md5, sha256: image.hashes!.sha256, owner: "o", leaseUntil: Date.now() + 60_000, source: "a.jpg" };
    await claims.tryClaim(claim);
    await claims.tryClaim(claim);
    await claims.heartbeat(image.md5, "o", Date.now() + 60_000);
    await claims.markDone(image.md5, "o", image.libraryPath);
    client.removeAllListeners("commandStarted");

    const ferret = "ferretdbVersion" in (await db.admin().command({ buildInfo: 1 }));
    const found: { command: string; filter: string; scans: string[] }[] = [];
    for (const e of sent) {
      const find = asFind(e);
      if (!find) continue;
      const explained = await db.command({ explain: find, verbosity: "queryPlanner" });
      found.push({ command: `${e.commandName} ${find.find as string}`, filter: JSON.stringify(find.filter), scans: scans(explained.queryPlanner) });
    }
    expect(found.length).toBeGreaterThan(15);
    const scanning = found.filter((f) => f.scans.length > 0);
    // FerretDB 1.24 cannot push a range or a sort down: newest-first pages and the last minute's count.
    const rangeOnly = (f: (typeof found)[number]) => f.command === "find images" ? /ingestedUnixMs/.test(f.filter) || f.filter === "{}" : f.command === "aggregate images" && /ingestedUnixMs/.test(f.filter);
    expect(scanning.filter((f) => !(ferret && rangeOnly(f)))).toEqual([]);
  });
});
