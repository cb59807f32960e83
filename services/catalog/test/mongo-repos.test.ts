import { describe, expect, it } from "vitest";
import { connectMongo } from "@booru/runtime";
import { makeImage } from "./fixtures.js";
import { mongoUrl, uniqueName } from "../../../test/harness/index.js";
import { mongoRepos } from "../src/repos/mongo.js";
import { repoContract } from "./contract.js";

repoContract("MongoDB", async () => {
  const mongo = await connectMongo(mongoUrl(), uniqueName("catalog"), { appName: "catalog-test" });
  return {
    repos: await mongoRepos(mongo.db),
    close: async () => {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
});

describe("MongoDB images from before kinds", () => {
  it("are marked images at start, so a kind filter finds them", async () => {
    const mongo = await connectMongo(mongoUrl(), uniqueName("catalog"), { appName: "catalog-test" });
    try {
      const repos = await mongoRepos(mongo.db);
      const old = makeImage("old");
      await repos.images.put(old);
      await mongo.db.collection("images").updateOne({ _id: old.md5 as never }, { $unset: { kind: "" } });
      expect((await repos.images.list({ kind: "image" }, 10)).items).toEqual([]);
      const again = await mongoRepos(mongo.db);
      expect((await again.images.list({ kind: "image" }, 10)).items.map((i) => i.md5)).toEqual([old.md5]);
    } finally {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    }
  });
});
