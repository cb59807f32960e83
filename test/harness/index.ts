/** What integration tests import: the servers from globalSetup and names unique to each test. */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";

export { freePort, waitForPort, startLocalNats, startLocalFerret, LocalProcess } from "./servers.js";

export const natsUrl = (): string => inject("natsUrl");
export const mongoUrl = (): string => inject("mongoUrl");

/** A fresh name for streams, subjects and databases, so tests never see each other's data. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}
export { startBooru, runBooru, spawnBooru, BOORU_BIN, REPO, type BooruProcess } from "./booru.js";
export { noiseJpeg, md5, listFiles, libraryMd5s, waitFor, isEmptyDir, exists } from "./files.js";
