// npm run bench -- duplicates [folder] [--limit N] [--copies K] [--concurrency C]
// Disposing of a duplicate costs one read of the file: duplicates/s through dedup (embedded,
// policy move) beside plain MD5 + SHA-256 throughput of the same files, measured in the same run.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { startApp } from "@booru/runtime";
import { allModules } from "../packages/cli/dist/modules.js";
import { args, countFiles, drain, loadPhotos, mb, rate, stage, tempData } from "./_pipeline-lib.mjs";
import path from "node:path";

const { dir, opt } = args();
const photos = loadPhotos(dir, Number(opt("--limit", "60")));
const copies = Number(opt("--copies", "3"));
const concurrency = opt("--concurrency", "8");
const env = { BOORU_LOG_LEVEL: "error", BOORU_LISTEN: "127.0.0.1:0", BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_SETTLE_TIME: "200ms", BOORU_DEDUP_CONCURRENCY: concurrency };
console.log(`duplicates bench: ${photos.length} photos x ${copies} copies, ${(mb(photos) * copies).toFixed(1)} MB, dedup concurrency ${concurrency}`);

const data = tempData("dups");
const app = await startApp(allModules, { env: { ...env, BOORU_DATA: data }, targets: ["all"] });
const inbox = app.paths.inboxes[0];
// Seed: the originals are ingested first (not measured).
stage(inbox, photos)();
await drain(inbox, () => countFiles(app.paths.library) === photos.length);

const dups = [];
for (let c = 0; c < copies; c++) for (const p of photos) dups.push({ ...p, name: `copy${c}-${p.name}` });
const go = stage(inbox, dups);
// Baseline: read each staged copy from disk and hash it with MD5 and SHA-256, nothing else.
const t0 = performance.now();
for (const d of dups) {
  const bytes = readFileSync(path.join(go.dir, d.name));
  createHash("md5").update(bytes).digest();
  createHash("sha256").update(bytes).digest();
}
const hashS = (performance.now() - t0) / 1000;
go();
const dupS = await drain(inbox, () => countFiles(app.paths.duplicates) === dups.length);
await app.stop();
const totalMb = mb(photos) * copies;
console.log(`  md5+sha256 (read+hash)  ${rate(dups.length, hashS).padStart(7)} files/s ${(totalMb / hashS).toFixed(1).padStart(7)} MB/s`);
console.log(`  duplicates disposed     ${rate(dups.length, dupS).padStart(7)} files/s ${(totalMb / dupS).toFixed(1).padStart(7)} MB/s   ratio ${(hashS / dupS).toFixed(2)}`);
