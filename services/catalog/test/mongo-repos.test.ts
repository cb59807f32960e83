import { connectMongo } from "@booru/runtime";
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
