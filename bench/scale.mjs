// Scale test (benchmark, not CI): one client (standing in for dedup) against 1, 2 and 4 hasher
// processes on loopback, through one grpc-js channel with target ipv4:a,b,... and round_robin,
// the same way dedup reaches hasher pods through the headless Service.
//
//   npm run bench -- scale [--counts 1,2,4] [--seconds 6] [--rounds 2] [--concurrency 8]
//                          [--images 48] [--workers 1]   (BOORU_HASHER_WORKERS and VIPS_CONCURRENCY per hasher)
//
// Reports calls/s per hasher count, the speedup against 1 hasher measured in the same run, and
// how many calls each hasher served (from its own /metrics booru_hasher_requests_total). The
// counts are run interleaved `rounds` times and the median is reported, so a load spike from
// other processes does not land on one count only. Exit code 1 if some hasher got no calls.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { callHash, createHasherClient } from "../services/hasher/dist/index.js";
import { checkHealth } from "../packages/runtime/dist/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "packages/cli/bin/booru.js");

function parseArgs(argv) {
  const opts = { counts: [1, 2, 4], seconds: 6, concurrency: 8, images: 48, workers: 1, rounds: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i].replace(/^--/, ""), argv[i + 1]];
    if (!(key in opts) || value === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[key] = key === "counts" ? value.split(",").map(Number) : Number(value);
  }
  return opts;
}

/** Distinct photo-like JPEGs (smooth gradients plus noise), made once in memory. */
async function makeImages(n) {
  const images = [];
  for (let i = 0; i < n; i++) {
    const [w, h] = [800 + (i % 5) * 64, 600 + (i % 3) * 48];
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        raw[o] = (x * (i + 3) + y) & 255;
        raw[o + 1] = (y * (i + 5) + x * 2) & 255;
        raw[o + 2] = ((x ^ y) + i * 17 + ((x * 7 + y * 13 + i) % 23)) & 255;
      }
    }
    images.push(await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
  }
  return images;
}

async function freePort() {
  const srv = net.createServer().listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = /** @type {import("node:net").AddressInfo} */ (srv.address());
  srv.close();
  await once(srv, "close");
  return port;
}

async function startHasher(workers) {
  const [grpc, metrics] = [await freePort(), await freePort()];
  const data = mkdtempSync(path.join(os.tmpdir(), "booru-scale-"));
  const child = spawn(process.execPath, [CLI, "run", "--target=hasher", "--listen", `127.0.0.1:${grpc}`, "--metrics-listen", `127.0.0.1:${metrics}`], {
    env: { ...process.env, BOORU_DATA: data, BOORU_HASHER_WORKERS: String(workers), VIPS_CONCURRENCY: String(workers), BOORU_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = once(child, "exit");
  const deadline = Date.now() + 20_000;
  while ((await checkHealth(`127.0.0.1:${grpc}`, "", 500)) !== "SERVING") {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`hasher on port ${grpc} did not become SERVING`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    grpc,
    metrics,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Sum of a metric's samples (over its labels), read from the hasher's /metrics. */
async function scrape(metricsPort) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sum = (name) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return { requests: sum("booru_hasher_requests_total"), cpu: sum("process_cpu_seconds_total") };
}

async function* chunks(buf, size = 64 * 1024) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** `concurrency` callers loop over the images until the time is up; returns calls made. */
async function drive(client, images, seconds, concurrency) {
  const end = Date.now() + seconds * 1000;
  let next = 0;
  let calls = 0;
  const worker = async () => {
    while (Date.now() < end) {
      const img = images[next++ % images.length];
      await callHash(client, chunks(img), { fileName: "bench.jpg", size: img.length, thumbnail: { skip: true, maxSide: 0, format: 0, quality: 0 } }, 60_000);
      calls++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { calls, seconds: (performance.now() - started) / 1000 };
}

async function run(count, images, opts) {
  const hashers = [];
  try {
    for (let i = 0; i < count; i++) hashers.push(await startHasher(opts.workers));
    const target = `ipv4:${hashers.map((h) => `127.0.0.1:${h.grpc}`).join(",")}`;
    const client = createHasherClient(target);
    try {
      await drive(client, images.slice(0, 4), 1, opts.concurrency); // warm-up: connections, workers, JIT
      const before = await Promise.all(hashers.map((h) => scrape(h.metrics)));
      const { calls, seconds } = await drive(client, images, opts.seconds, opts.concurrency);
      const after = await Promise.all(hashers.map((h) => scrape(h.metrics)));
      const perHasher = after.map((a, i) => a.requests - before[i].requests);
      const cores = after.reduce((s, a, i) => s + a.cpu - before[i].cpu, 0) / seconds;
      return { count, calls, seconds, rate: calls / seconds, perHasher, cores };
    } finally {
      client.close();
    }
  } finally {
    await Promise.all(hashers.map((h) => h.stop()));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const images = await makeImages(opts.images);
  const kib = images.reduce((s, b) => s + b.length, 0) / images.length / 1024;
  console.log(`scale: ${opts.images} JPEGs (~${kib.toFixed(0)} KiB, 800x600..1056x696), ${opts.concurrency} concurrent calls, ${opts.seconds}s per run, ${opts.rounds} round(s), ${opts.workers} worker(s) per hasher, ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(1)}`);
  const runs = new Map(opts.counts.map((c) => [c, []]));
  for (let round = 1; round <= opts.rounds; round++) {
    for (const count of opts.counts) {
      const r = await run(count, images, opts);
      runs.get(count).push(r);
      const everyone = r.perHasher.every((n) => n > 0);
      console.log(
        `  round ${round}: ${count} hasher(s): ${r.calls} calls in ${r.seconds.toFixed(1)}s = ${r.rate.toFixed(1)} calls/s, hasher CPU ${r.cores.toFixed(2)} cores,` +
          ` calls per hasher [${r.perHasher.join(", ")}] ${everyone ? "(every hasher received calls)" : "(SOME HASHER RECEIVED NO CALLS)"}`,
      );
    }
  }
  const base = median(runs.get(opts.counts[0]).map((r) => r.rate));
  console.log(`median of ${opts.rounds} round(s), load average now ${os.loadavg()[0].toFixed(1)}:`);
  for (const [count, rs] of runs) {
    const rate = median(rs.map((r) => r.rate));
    const all = rs.every((r) => r.perHasher.every((n) => n > 0));
    console.log(`  ${String(count).padStart(2)} hasher(s): ${rate.toFixed(1)} calls/s (x${(rate / base).toFixed(2)} vs ${opts.counts[0]}), every hasher received calls in every round: ${all ? "yes" : "NO"}`);
  }
  if ([...runs.values()].flat().some((r) => r.perHasher.some((n) => n === 0))) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
