/**
 * The distributed pipeline as real processes for the resilience suite: `booru run --target=X`
 * subprocesses (watcher, dedup, N hashers, catalog) sharing one data folder, against a NATS and
 * a MongoDB-protocol server the test owns. Plus the bookkeeping a test asserts on: where every
 * input file ended up, catalog records, peak RSS per process, /metrics values.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { CLOCK_PROBE_PREFIX } from "@booru/runtime";
import { freePort, startLocalFerret, startLocalNats, uniqueName } from "../harness/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BOORU = path.join(ROOT, "packages/cli/bin/booru.js");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Settings that make the pipeline react in seconds instead of minutes; the behaviour is the same. */
export const FAST_SETTINGS: Record<string, string> = {
  BOORU_LOG_LEVEL: "info",
  BOORU_SHUTDOWN_TIMEOUT: "5s",
  // watcher
  BOORU_SETTLE_TIME: "500ms",
  BOORU_RESCAN_INTERVAL: "15s",
  // dedup: a crashed or cut-off delivery comes back quickly; a cut-off file is rejected (truncated) after 2 s.
  BOORU_SETTLE_MAX: "2s",
  BOORU_ACK_WAIT: "10s",
  BOORU_LEASE: "15s",
  BOORU_DEDUP_CONCURRENCY: "8",
};

type LocalServer = Awaited<ReturnType<typeof startLocalNats>>;

/** A NATS and a FerretDB of the test's own, which it may stop and start; stop() removes their data. */
export async function startServers(): Promise<{ nats: LocalServer; ferret: LocalServer; stop(): Promise<void> }> {
  const [nats, ferret] = await Promise.all([startLocalNats(), startLocalFerret()]);
  return {
    nats,
    ferret,
    async stop() {
      await nats.dispose();
      await ferret.dispose();
    },
  };
}

export class BooruProcess {
  proc?: ChildProcess;
  /** Last lines of output, for failure messages. */
  tail: string[] = [];
  /** Every pid this role ran as (a restart adds one). */
  readonly pids: number[] = [];
  private peakKb = 0;

  constructor(
    readonly name: string,
    readonly target: string,
    readonly grpcPort: number,
    readonly metricsPort: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly extraArgs: string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get alive(): boolean {
    return Boolean(this.proc && this.proc.exitCode === null && this.proc.signalCode === null);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const args = [BOORU, "run", `--target=${this.target}`, "--listen", `127.0.0.1:${this.grpcPort}`, "--metrics-listen", `127.0.0.1:${this.metricsPort}`, "--web-listen", "127.0.0.1:0", ...this.extraArgs];
    const proc = spawn(process.execPath, args, { env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    this.pids.push(proc.pid!);
    let ready = false;
    // BOORU_TEST_LOG_DIR keeps every line of every process, for a failure the last 200 do not explain.
    const logDir = process.env.BOORU_TEST_LOG_DIR;
    const onLine = (line: string) => {
      if (logDir) appendFileSync(path.join(logDir, `${this.name}.log`), line + "\n");
      this.tail.push(line);
      if (this.tail.length > 200) this.tail.shift();
      if (line.includes('"msg":"ready"')) ready = true;
    };
    for (const stream of [proc.stdout!, proc.stderr!]) {
      let buf = "";
      stream.on("data", (b: Buffer) => {
        buf += b.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    const until = Date.now() + timeoutMs;
    while (!ready) {
      if (proc.exitCode !== null) throw new Error(`${this.name} exited with ${proc.exitCode} while starting:\n${this.tail.slice(-30).join("\n")}`);
      if (Date.now() > until) throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail.slice(-30).join("\n")}`);
      this.samplePeak();
      await sleep(100);
    }
  }

  /** SIGTERM (graceful) or SIGKILL (a crash); resolves when the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.alive) return;
    this.samplePeak();
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill(signal);
      setTimeout(() => proc.kill("SIGKILL"), 15_000).unref();
    });
  }

  /** Peak RSS (VmHWM) in MB seen for this role so far, across restarts. */
  samplePeak(): number {
    if (this.pid && this.alive) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
        if (m) this.peakKb = Math.max(this.peakKb, Number(m[1]));
      } catch {
        // exited between the check and the read
      }
    }
    return Math.round(this.peakKb / 1024);
  }

  /** Current RSS in MB. */
  rssMb(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      return m ? Math.round(Number(m[1]) / 1024) : 0;
    } catch {
      return 0;
    }
  }

  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return parseMetrics(await res.text());
  }
}

/** Prometheus text format -> "name{labels}" => value (labels as printed). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of a metric (all label values). */
export function metricSum(m: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) sum += v;
  return sum;
}

export interface PipelineOptions {
  natsUrl: string;
  mongoUrl: string;
  hashers?: number;
  env?: Record<string, string>;
}

export class Pipeline {
  readonly data = mkdtempSync(path.join(os.tmpdir(), "booru-res-"));
  readonly inbox = path.join(this.data, "inbox");
  readonly library = path.join(this.data, "library");
  readonly duplicates = path.join(this.data, "duplicates");
  readonly rejected = path.join(this.data, "rejected");
  readonly prefix = uniqueName("res");
  readonly db = uniqueName("res");
  readonly processes: BooruProcess[] = [];
  private sampler?: NodeJS.Timeout;

  private constructor(readonly opts: PipelineOptions) {}

  static async start(opts: PipelineOptions): Promise<Pipeline> {
    const p = new Pipeline(opts);
    try {
      await p.launch();
    } catch (err) {
      // The test never gets this pipeline to stop: what did start must not outlive the run.
      await p.stop();
      throw err;
    }
    return p;
  }

  role(name: string): BooruProcess {
    const found = this.processes.find((p) => p.name === name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  }

  get hashers(): BooruProcess[] {
    return this.processes.filter((p) => p.target === "hasher");
  }

  private async launch(): Promise<void> {
    const ports = async () => [await freePort(), await freePort()] as const;
    const hasherPorts = [];
    for (let i = 0; i < (this.opts.hashers ?? 2); i++) hasherPorts.push(await ports());
    const catalogPorts = await ports();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...FAST_SETTINGS,
      NATS_URL: this.opts.natsUrl,
      MONGO_URL: this.opts.mongoUrl,
      BOORU_NATS_PREFIX: this.prefix,
      BOORU_MONGO_DB: this.db,
      BOORU_DATA: this.data,
      BOORU_HASHER_ADDR: `ipv4:${hasherPorts.map(([g]) => `127.0.0.1:${g}`).join(",")}`,
      BOORU_CATALOG_ADDR: `127.0.0.1:${catalogPorts[0]}`,
      ...this.opts.env,
    };
    // Nothing from the test runner's own environment may leak in and change the topology.
    delete env.BOORU_TARGET;
    hasherPorts.forEach(([g, m], i) => this.processes.push(new BooruProcess(`hasher-${i + 1}`, "hasher", g, m, env)));
    this.processes.push(new BooruProcess("catalog", "catalog", catalogPorts[0], catalogPorts[1], env));
    const [dg, dm] = await ports();
    this.processes.push(new BooruProcess("dedup", "dedup", dg, dm, env));
    const [wg, wm] = await ports();
    this.processes.push(new BooruProcess("watcher", "watcher", wg, wm, env));
    // Servers first, then the consumer, then the producer; the starts overlap where order does not matter.
    await Promise.all(this.processes.filter((p) => p.target === "hasher" || p.target === "catalog").map((p) => p.start()));
    await this.role("dedup").start();
    await this.role("watcher").start();
    this.sampler = setInterval(() => this.processes.forEach((p) => p.samplePeak()), 500);
  }

  /** Peak RSS in MB per process role. */
  peakRss(): Record<string, number> {
    return Object.fromEntries(this.processes.map((p) => [p.name, p.samplePeak()]));
  }

  /** Roles whose process died on its own (not stopped by the test). */
  deadProcesses(): string[] {
    return this.processes.filter((p) => !p.alive).map((p) => `${p.name} (exit ${p.proc?.exitCode ?? p.proc?.signalCode})`);
  }

  /** Writes files into a staging folder, then renames them all into the inbox at once. */
  drop(files: { name: string; bytes: Buffer }[], subdir = ""): void {
    const staging = mkdtempSync(path.join(this.data, ".staging-"));
    for (const f of files) writeFileSync(path.join(staging, f.name), f.bytes);
    const target = path.join(this.inbox, subdir);
    mkdirSync(target, { recursive: true });
    for (const f of files) renameSync(path.join(staging, f.name), path.join(target, f.name));
    rmSync(staging, { recursive: true, force: true });
  }

  /** Where every file is now. */
  accounting(): Accounting {
    const rejectedAll = listFiles(this.rejected);
    const reasons = rejectedAll.filter((f) => f.endsWith(".reason.json"));
    return {
      inbox: listFiles(this.inbox),
      // `<md5>.<ext>.tmp-*` is a library write in progress.
      library: listFiles(this.library).filter((f) => !f.includes(".tmp-")),
      duplicates: listFiles(this.duplicates),
      rejected: rejectedAll.filter((f) => !f.endsWith(".reason.json")),
      reasons: reasons.map((f) => readJson(path.join(this.rejected, f))),
    };
  }

  /** Files outside the inbox so far (library + duplicates + rejected). */
  settledCount(): number {
    const a = this.accounting();
    return a.library.length + a.duplicates.length + a.rejected.length;
  }

  /**
   * Waits until `expected` files have left the inbox for library/duplicates/rejected and the
   * inbox is empty. Fails with the state (and the processes' last log lines) on timeout.
   */
  async waitForSettled(expected: number, timeoutMs: number): Promise<Accounting> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const a = this.accounting();
      const settled = a.library.length + a.duplicates.length + a.rejected.length;
      if (settled >= expected && a.inbox.length === 0) return a;
      if (Date.now() > until) {
        const logs = this.processes.map((p) => `--- ${p.name} (alive: ${p.alive})\n${p.tail.slice(-15).join("\n")}`).join("\n");
        throw new Error(
          `not settled after ${timeoutMs} ms: ${settled}/${expected} settled (library ${a.library.length}, duplicates ${a.duplicates.length}, rejected ${a.rejected.length}), ${a.inbox.length} still in the inbox\n${logs}`,
        );
      }
      await sleep(500);
    }
  }

  /** md5 of every record in the catalog's `images` collection. */
  async catalogMd5s(): Promise<string[]> {
    const client = new MongoClient(this.opts.mongoUrl, { serverSelectionTimeoutMS: 10_000 });
    try {
      const docs = await client.db(this.db).collection("images").find({}, { projection: { md5: 1 } }).toArray();
      return docs.map((d) => String(d.md5 ?? d._id));
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    // Producer first, so nothing new is published while the others stop.
    for (const p of [...this.processes].reverse()) await p.stop();
    if (!process.env.BOORU_KEEP_DATA) rmSync(this.data, { recursive: true, force: true });
  }
}

export interface Accounting {
  inbox: string[];
  library: string[];
  duplicates: string[];
  rejected: string[];
  reasons: Record<string, unknown>[];
}

/** A reason file; one being written (reserved empty first) reads as `{ file }` only. */
function readJson(file: string): Record<string, unknown> {
  try {
    return { file, ...(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) };
  } catch {
    return { file };
  }
}

/** Relative paths of the regular files under `dir` (recursive), skipping temp files. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith(CLOCK_PROBE_PREFIX))
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

export const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

/** md5 of a library file from its name (library/ab/cd/<md5>.<ext>). */
export const libraryMd5 = (rel: string) => path.basename(rel).replace(/\..*$/, "");
