// npm run bench -- media [--rounds N] [--skip-rss]
// What hashing videos costs, with Debian's ffmpeg: CPU seconds (the hasher and its ffmpeg
// children together) per minute of 1080p H.264, for a 1-minute clip (decoded in one pass) and a
// 10-minute video (one seek per signature frame), against the floor measured in the same run:
// ffmpeg decoding the whole video once and nothing else. Then the hasher's peak RSS while a
// 1 GiB video streams to it over gRPC (a `booru run --target=hasher` process, sampled from /proc).
// The videos are made once with ffmpeg into ~/.cache/booru-ingest/bench-media (a few minutes).
import { execFileSync, spawn } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { callHash, createHasherClient, HashService } from "../services/hasher/dist/index.js";
import { createHashPool } from "../services/hasher/dist/pool.js";
import { defaultHasherConfig } from "../services/hasher/dist/settings.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const rounds = Number(args.includes("--rounds") ? args[args.indexOf("--rounds") + 1] : "3");
const cache = path.join(homedir(), ".cache", "booru-ingest", "bench-media");
mkdirSync(cache, { recursive: true });

const ffmpeg = (a) => execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...a], { stdio: "inherit" });

/** 20 s of 1080p30 H.264 at about 8 Mbit/s (a zoom with grain: real footage's bitrate), looped by stream copy. */
function videos() {
  const seg = path.join(cache, "seg-1080p-20s.mp4");
  if (!existsSync(seg)) {
    console.log("making 20 s of 1080p H.264 (once, cached)...");
    ffmpeg(["-f", "lavfi", "-i", "mandelbrot=s=480x270:r=30,scale=1920:1080:flags=bicubic,noise=alls=2:allf=t", "-t", "20", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", seg]);
  }
  const loop = (name, times) => {
    const out = path.join(cache, name);
    if (!existsSync(out)) ffmpeg(["-stream_loop", String(times - 1), "-i", seg, "-c", "copy", "-movflags", "+faststart", out]);
    return out;
  };
  return { minute: loop("1080p-1min.mp4", 3), tenMinutes: loop("1080p-10min.mp4", 30) };
}

/** CPU seconds of this process and of its reaped children (ffmpeg), from /proc (Linux). */
function cpuSeconds() {
  const f = readFileSync("/proc/self/stat", "utf8").slice(readFileSync("/proc/self/stat", "utf8").lastIndexOf(")") + 2).split(" ");
  const ticks = 100;
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
}

async function measure(label, file, fn) {
  const costs = [];
  for (let r = 0; r < rounds; r++) {
    const before = cpuSeconds();
    const t = performance.now();
    await fn(file);
    costs.push({ cpu: cpuSeconds() - before, wall: (performance.now() - t) / 1000 });
  }
  const best = costs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  return { label, ...best };
}

const config = { ...defaultHasherConfig(), hasherWorkers: 1, hasherFfmpegJobs: 1, hasherTempDir: tmpdir() };
const service = new HashService(config, createHashPool(1));
const hash = (file) => service.hash(createReadStream(file, { highWaterMark: 1 << 20 }), { size: statSync(file).size });
const floor = (file) => new Promise((resolve, reject) => {
  const p = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-threads", "1", "-i", file, "-an", "-f", "null", "-"], { stdio: "ignore" });
  p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
});

const v = videos();
const minutes = { [v.minute]: 1, [v.tenMinutes]: 10 };
console.log(`media bench: best of ${rounds} rounds, ffmpeg on one thread, shared machine load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
const rows = [];
for (const file of [v.minute, v.tenMinutes]) {
  const mins = minutes[file];
  const full = await measure("hash", file, hash);
  const base = await measure("floor: decode everything once", file, floor);
  rows.push([path.basename(file), `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`, (full.cpu / mins).toFixed(2), full.wall.toFixed(1), (base.cpu / mins).toFixed(2), (full.cpu / base.cpu).toFixed(2)]);
}
console.log("\n| video | size | hash: CPU s per minute of video | hash: wall s | floor: CPU s per minute | hash/floor |\n| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);

if (!args.includes("--skip-rss")) await rss(v);
process.exit(0);

/** Peak RSS of a real hasher process while a 1 GiB video streams to it over gRPC. */
async function rss(v) {
  const big = path.join(cache, "1080p-1GiB.mp4");
  if (!existsSync(big)) ffmpeg(["-stream_loop", String(Math.ceil(2 ** 30 / statSync(v.minute).size)), "-i", v.minute, "-c", "copy", "-movflags", "+faststart", big]);
  const port = 40000 + Math.floor(Math.random() * 20000);
  const data = path.join(tmpdir(), `bench-media-${process.pid}`);
  const proc = spawn(process.execPath, [path.join(here, "../packages/cli/bin/booru.js"), "run", "--target=hasher"], {
    env: { ...process.env, BOORU_DATA: data, BOORU_LISTEN: `127.0.0.1:${port}`, BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0", BOORU_LOG_LEVEL: "warn", BOORU_HASHER_WORKERS: "1", MALLOC_ARENA_MAX: "2" },
    stdio: "inherit",
  });
  const status = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  const client = createHasherClient(`127.0.0.1:${port}`);
  try {
    await new Promise((resolve, reject) => client.waitForReady(Date.now() + 30_000, (err) => (err ? reject(err) : resolve())));
    const idle = status("VmRSS");
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, status("VmRSS"))), 50);
    const t = performance.now();
    const res = await callHash(client, createReadStream(big, { highWaterMark: 1 << 20 }), { fileName: "big.mp4", size: statSync(big).size }, 1_800_000);
    clearInterval(sampler);
    console.log(`\n1 GiB video (${(statSync(big).size / 2 ** 30).toFixed(2)} GiB, ${(res.info.durationMs / 60000).toFixed(1)} min) over gRPC to a hasher process: ${((performance.now() - t) / 1000).toFixed(1)} s; hasher RSS idle ${idle.toFixed(0)} MiB, peak sampled ${peak.toFixed(0)} MiB, VmHWM ${status("VmHWM").toFixed(0)} MiB`);
  } finally {
    client.close();
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    rmSync(data, { recursive: true, force: true });
  }
}
