/**
 * FerretDB 1.24 on PostgreSQL stopped answering every connection for good under near-duplicate
 * detection (issue 14): an update that finds its document kept the read's pooled PostgreSQL
 * connection while it wrote the document on another one, and an update command kept every
 * statement's read until its end. Rewriting a group of 50+ members (one update command of 50+
 * matching statements), or 50 matching updates at once, took the whole pool (50 connections)
 * and waited for one more. scripts/ferretdb.patch closes the read first.
 * A server of its own: a stall here must not take down the one the other tests share.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMongo, type MongoHandle } from "@booru/runtime";
import { provideMongo, type Server } from "../../../test/harness/servers.js";
import { uniqueName } from "../../../test/harness/index.js";
import { mongoNearRepo } from "../src/near/mongo.js";

const md5s = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(4, "0")}`.padEnd(32, "0"));

describe("MongoDB store under one update command of many matching statements", () => {
  let server: Server;
  let mongo: MongoHandle;

  beforeAll(async () => {
    server = await provideMongo();
    mongo = await connectMongo(server.url, uniqueName("stall"), { appName: "stall-test" });
  });

  afterAll(async () => {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await server?.stop();
  });

  it("rewrites a near-duplicate group of 80 members when it grows", async () => {
    const repo = await mongoNearRepo(mongo.db);
    const first = { id: "g1", members: md5s(80, "a"), updatedUnixMs: 1 };
    await repo.putGroup(first);
    const grown = { id: "g1", members: [...first.members, ...md5s(1, "b")], updatedUnixMs: 2 };
    await repo.putGroup(grown, first);
    expect(await repo.groupsOf([md5s(1, "b")[0]!, first.members[79]!])).toEqual([grown]);
    expect(await repo.getGroup("g1")).toEqual(grown);
  });
});
