// npm run bench -- scale-catalog [photos-folder] [--sizes 0,100000,1000000] [--stores sqlite,mongo]
//                                 [--photos 24] [--probes 200]
// How each cost grows with the catalog. Per store, the catalog is filled through the import path
// (`booru import`'s importRecords + dedup's adoptDone) to each size in turn; at each size a fresh
// `booru up` process is started on it and measured: start-up to SERVING (similarity index built
// from the store), ingest of the same real photos (a fresh copy each time: a few bytes appended
// after the JPEG end marker, so new md5s, same decode), PutImage p50/p99, ListImages p95 at the
// first page and at a cursor 90% deep, GetStats p95, FindSimilar p99, RSS, database size.
// Loaded hashes are the photos' own, each with random bits flipped (not uniform random values).
// MongoDB: MONGO_URL, else FerretDB (scripts/build-ferretdb.sh) on the local PostgreSQL.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { importRecords, openRepos } from "../services/catalog/dist/index.js";
import { createCatalogClient, unary } from "../services/catalog/dist/client.js";
import { openClaimsStore } from "../services/dedup/dist/index.js";
import { openStores } from "../packages/cli/dist/stores.js";
import { checkHealth } from "../packages/runtime/dist/index.js";
import { ferretStorage } from "../test/harness/ferret-backend.mjs";
import { args, countFiles, drain, freePort, loadPhotos, root, stage, tempData } from "./_pipeline-lib.mjs";

const { dir, opt } = args();
const sizes = opt("--sizes", "0,100000,1000000").split(",").map(Number);
const storesWanted = opt("--stores", "sqlite,mongo").split(",");
const probes = Number(opt("--probes", "200"));
const photos = loadPhotos(dir, 400).filter((p) => /\.jpe?g$/i.test(p.name)).slice(0, Number(opt("--photos", "24")));
const T0 = 1_600_000_000_000;
const BIN = path.join(root, "packages/cli/bin/booru.js");

/** Seeded, so two runs load the same catalog. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The photos' real hashes (booru hash, no server), the bases the loaded values are made from. */
function photoHashes() {
  const all = loadPhotos(dir, 400);
  const out = JSON.parse(execFileSync(process.execPath, [BIN, "hash", "--json", ...all.map((p) => path.join(dir, p.name))], { encoding: "utf8", maxBuffer: 1 << 28 }));
  return out.filter((r) => r.phash64 && r.phash256);
}

function flip(hex, bits, rand) {
  const b = Buffer.from(hex, "hex");
  for (let i = 0; i < bits; i++) {
    const bit = Math.floor(rand() * b.length * 8);
    b[bit >> 3] ^= 1 << (bit & 7);
  }
  return b.toString("hex");
}

/** Record i of the synthetic catalog, as a `booru export` line. */
function recordLine(i, bases, rand) {
  const base = bases[i % bases.length];
  const md5 = createHash("md5").update(`scale-${i}`).digest("hex");
  const sha256 = createHash("sha256").update(`scale-${i}`).digest("hex");
  // 16-31 bits off its photo: the values cluster around real photos' hashes (what the index
  // meets), but two loaded records are distinct pictures, as a real catalog's are, not near
  // copies of each other (at 4-20 bits, thousands per photo fell within the near-duplicate rule,
  // and every probe joined a group of thousands).
  const spread = 16 + Math.floor(rand() * 16);
  const image = {
    md5,
    hashes: {
      md5,
      sha256,
      phash64: flip(base.phash64, spread, rand),
      dhash64: flip(base.dhash64, spread, rand),
      ahash64: flip(base.ahash64, spread, rand),
      phash256: flip(base.phash256, spread * 4, rand),
      blockhash256: flip(base.blockhash256, spread * 4, rand),
      colorhash42: base.colorhash42,
      hashVersion: 1,
    },
    info: { width: 1920, height: 1080, format: "jpeg", frames: 1, bytes: 100_000 + Math.floor(rand() * 5_000_000), mime: "image/jpeg", kind: "MEDIA_KIND_IMAGE" },
    originalName: `p${i}.jpg`,
    sourcePath: `old/p${i}.jpg`,
    libraryPath: `${md5.slice(0, 2)}/${md5.slice(2, 4)}/${md5}.jpg`,
    ingestedUnixMs: T0 + i * 1000,
    thumbnailWidth: 256,
    thumbnailHeight: 144,
    thumbnailMime: "image/webp",
  };
  return JSON.stringify({ image });
}

async function load(stores, from, to, bases) {
  if (to <= from) return 0;
  const images = (await openRepos(stores)).images;
  const claims = await openClaimsStore(stores);
  const rand = rng(from + 1);
  async function* lines() {
    for (let i = from; i < to; i++) yield recordLine(i, bases, rand);
  }
  const t = performance.now();
  await importRecords(images, lines(), {
    afterBatch: async (batch) => void (await claims.adoptDone(batch.map(({ image }) => ({ md5: image.md5, sha256: image.hashes.sha256, libraryPath: image.libraryPath, source: image.sourcePath })))),
    progress: (p) => p.lines % 100_000 === 0 && process.stdout.write(`  loaded ${from + p.lines}\n`),
  });
  return (to - from) / ((performance.now() - t) / 1000);
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** `n` calls, or as many as fit in 30 s (a probe that scans a million records is not repeated 200 times). */
async function timed(n, fn) {
  const out = [];
  const end = performance.now() + 30_000;
  for (let i = 0; i < n && (i < 3 || performance.now() < end); i++) {
    const t = performance.now();
    try {
      await fn(i);
    } catch (err) {
      // Past the deadline (a store that scans): reported as such, not retried.
      if (err.code !== 4) throw err;
      out.push(Infinity);
      break;
    }
    out.push(performance.now() - t);
  }
  return out;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts `booru up` on the store; resolves once its catalog answers SERVING. */
async function startBooru(env) {
  const port = await freePort();
  const t = performance.now();
  const proc = spawn(process.execPath, [BIN, "up"], { env: { ...process.env, ...env, BOORU_LISTEN: `127.0.0.1:${port}`, BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn", BOORU_SETTLE_TIME: "200ms" }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr.on("data", (b) => (log = (log + b).slice(-5000)));
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`booru up exited ${proc.exitCode}: ${log}`);
    if ((await checkHealth(`127.0.0.1:${port}`, "booru.catalog.v1.Catalog", 1000)) === "SERVING") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const startup = (performance.now() - t) / 1000;
  return {
    proc,
    port,
    startup,
    stop: () => new Promise((resolve) => (proc.exitCode !== null ? resolve() : (proc.once("exit", () => resolve()), proc.kill("SIGTERM")))),
  };
}

async function measure(level, env, data, sizeOnDisk, bases) {
  const booru = await startBooru(env);
  const rssStart = rssMb(booru.proc.pid);
  const client = createCatalogClient(`127.0.0.1:${booru.port}`);
  const call = (m, req) => unary(m.bind(client), req, { timeoutMs: 20_000 });

  // Ingest: the same photos, new bytes (a marker after the JPEG end), dropped at once.
  const inbox = path.join(data, "inbox");
  mkdirSync(inbox, { recursive: true });
  const library = path.join(data, "library");
  const before = countFiles(library);
  const copies = photos.map((p) => ({ name: `L${level}-${p.name}`, bytes: Buffer.concat([p.bytes, Buffer.from(`scale-catalog ${level}`)]) }));
  const go = stage(inbox, copies);
  go();
  const ingestS = await drain(inbox, () => countFiles(library) >= before + copies.length);

  const rand = rng(level + 99);
  const put = await timed(probes, (i) => {
    const image = JSON.parse(recordLine(10_000_000 + level + i * 7, bases, rand)).image;
    image.md5 = image.hashes.md5 = createHash("md5").update(`put-${level}-${i}`).digest("hex");
    image.ingestedUnixMs = Date.now();
    return call(client.putImage, { image: fromJson(image), thumbnail: Buffer.alloc(0) });
  });
  const first = await timed(probes, () => call(client.listImages, catalogV1.ListImagesRequest.fromPartial({ pageSize: 100 })));
  const deepAt = Math.floor(level * 0.1);
  const deepToken = Buffer.from(JSON.stringify([T0 + deepAt * 1000, createHash("md5").update(`scale-${deepAt}`).digest("hex")])).toString("base64url");
  const deep = await timed(probes, () => call(client.listImages, catalogV1.ListImagesRequest.fromPartial({ pageSize: 100, pageToken: deepToken })));
  const stats = await timed(probes, () => call(client.getStats, {}));
  const similar = await timed(probes, () => call(client.findSimilar, catalogV1.FindSimilarRequest.fromPartial({ hash: flip(bases[Math.floor(rand() * bases.length)].phash64, 3, rand), algorithm: catalogV1.SimilarAlgorithm.PHASH64 })));
  const rss = Math.max(rssStart, rssMb(booru.proc.pid));
  client.close();
  await booru.stop();
  return { level, startup: booru.startup, ingest: copies.length / ingestS, putP50: pct(put, 50), putP99: pct(put, 99), listFirstP95: pct(first, 95), listDeepP95: pct(deep, 95), statsP95: pct(stats, 95), similarP99: pct(similar, 99), rss, disk: sizeOnDisk() / 1e6 };
}

let catalogV1;
const fromJson = (json) => catalogV1.Image.fromJSON(json);

async function mongoServer() {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, database: undefined, stop: async () => {} };
  const bin = execFileSync("bash", [path.join(root, "scripts/build-ferretdb.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  const port = await freePort();
  const dir = tempData("ferret");
  const storage = ferretStorage(readFileSync(path.join(path.dirname(bin), "backend"), "utf8").trim(), dir);
  const proc = spawn(bin, ["--listen-addr", `127.0.0.1:${port}`, ...storage.args], { stdio: "ignore" });
  const database = storage.args[storage.args.indexOf("--postgresql-url") + 1]?.split("/").pop();
  for (;;) {
    try {
      execFileSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { url: `mongodb://127.0.0.1:${port}/`, database, stop: async () => (proc.kill("SIGTERM"), await new Promise((r) => setTimeout(r, 500)), storage.drop()) };
}

function pgSize(database) {
  if (!database) return NaN;
  return Number(execFileSync("psql", [`${(process.env.BOORU_TEST_POSTGRES ?? "postgres://root@127.0.0.1:5432").replace(/\/+$/, "")}/postgres`, "-tAc", `SELECT pg_database_size('${database}')`], { encoding: "utf8" }).trim());
}

function fileSizes(...files) {
  return files.reduce((sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
}

async function runStore(store, bases) {
  const data = tempData(`scale-${store}`);
  const mongo = store === "mongo" ? await mongoServer() : undefined;
  const env = mongo ? { BOORU_DATA: data, MONGO_URL: mongo.url, BOORU_MONGO_DB: "booru" } : { BOORU_DATA: data };
  const flags = new Map(mongo ? [["--data", data], ["--mongo-url", mongo.url], ["--mongo-db", "booru"]] : [["--data", data]]);
  const sqliteFile = path.join(data, "booru.sqlite");
  const sizeOnDisk = mongo ? () => pgSize(mongo.database) : () => fileSizes(sqliteFile, `${sqliteFile}-wal`);
  const rows = [];
  let loaded = 0;
  try {
    for (const size of sizes) {
      const stores = openStores(flags);
      const rate = await load(stores, loaded, size, bases);
      await stores.close();
      if (size > loaded) console.log(`${store}: loaded ${loaded} -> ${size} at ${Math.round(rate)} records/s`);
      loaded = size;
      const row = await measure(size, env, data, sizeOnDisk, bases);
      rows.push(row);
      console.log(`${store} @ ${size}: ${JSON.stringify(row, (k, v) => (typeof v === "number" ? Math.round(v * 100) / 100 : v))}`);
    }
  } finally {
    await mongo?.stop();
    rmSync(data, { recursive: true, force: true });
  }
  return rows;
}

function table(store, rows) {
  const base = rows[0];
  const f = (v, d = 1) => (v === Infinity ? ">20000" : Number.isFinite(v) ? v.toFixed(d) : "-");
  console.log(`\n${store}: records | ingest/s (x empty) | PutImage p50/p99 ms | ListImages p95 first/deep ms | GetStats p95 ms | FindSimilar p99 ms | start-up s | RSS MB | DB MB`);
  for (const r of rows) {
    console.log(`  ${String(r.level).padStart(9)} | ${f(r.ingest)} (${f(r.ingest / base.ingest, 2)}) | ${f(r.putP50)}/${f(r.putP99)} | ${f(r.listFirstP95)}/${f(r.listDeepP95)} | ${f(r.statsP95)} | ${f(r.similarP99)} | ${f(r.startup)} | ${f(r.rss, 0)} | ${f(r.disk, 0)}`);
  }
}

({ catalogV1 } = await import("../packages/proto/dist/index.js"));
console.log(`scale-catalog: sizes ${sizes.join(", ")}; stores ${storesWanted.join(", ")}; ${photos.length} photos to ingest (${dir}); ${probes} calls per probe`);
const bases = photoHashes();
console.log(`loaded hashes derive from ${bases.length} real photos' hashes`);
const results = {};
for (const store of storesWanted) results[store] = await runStore(store, bases);
for (const [store, rows] of Object.entries(results)) table(store, rows);
process.exit(0);
