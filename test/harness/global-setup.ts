import type { TestProject } from "vitest/node";
import { provideMongo, provideNats } from "./servers.js";

declare module "vitest" {
  export interface ProvidedContext {
    natsUrl: string;
    mongoUrl: string;
  }
}

/** Starts (or finds) one NATS and one MongoDB-protocol server for the whole test run. */
export default async function setup(project: TestProject) {
  const [nats, mongo] = await Promise.all([provideNats(), provideMongo()]);
  process.stderr.write(`test servers: NATS ${nats.url} (${nats.how}), MongoDB ${mongo.url} (${mongo.how})\n`);
  project.provide("natsUrl", nats.url);
  project.provide("mongoUrl", mongo.url);
  return async () => {
    await Promise.all([nats.stop(), mongo.stop()]);
  };
}
