/** Shared by the pipeline tests: env for a run, catalog queries, waiting, `booru run` subprocesses. */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCatalogClient } from "@booru/catalog";
import { catalogV1 } from "@booru/proto";
import { mongoUrl, natsUrl, waitForPort } from "../harness/index.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function pipelineEnv(data: string, prefix: string, db: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BOORU_DATA: data,
    NATS_URL: natsUrl(),
    BOORU_NATS_PREFIX: prefix,
    MONGO_URL: mongoUrl(),
    BOORU_MONGO_DB: db,
    BOORU_LISTEN: "127.0.0.1:0",
    BOORU_METRICS_LISTEN: "127.0.0.1:0", BOORU_WEB_LISTEN: "127.0.0.1:0",
    BOORU_LOG_LEVEL: "warn",
    BOORU_SETTLE_TIME: "1500ms",
    // Cut-off files in the corpus are waited for this long (as if still being written), then rejected.
    BOORU_SETTLE_MAX: "2s",
    BOORU_LEASE: "4s",
    BOORU_ACK_WAIT: "6s",
    ...extra,
  };
}

export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** md5 -> source path of every record in the catalog. */
export async function catalogSources(target: string): Promise<Map<string, string>> {
  const client = createCatalogClient(target);
  const out = new Map<string, string>();
  try {
    let pageToken = "";
    do {
      const res = await new Promise<catalogV1.ListImagesResponse>((resolve, reject) =>
        client.listImages(catalogV1.ListImagesRequest.fromPartial({ pageSize: 1000, pageToken }), (err, r) => (err ? reject(err) : resolve(r))),
      );
      for (const img of res.images) {
        if (out.has(img.md5)) throw new Error(`catalog lists ${img.md5} twice`);
        out.set(img.md5, img.sourcePath);
      }
      pageToken = res.nextPageToken;
    } while (pageToken);
  } finally {
    client.close();
  }
  return out;
}

/** One `booru run --target=...` process (the compiled CLI: run `npx tsc -b` first). */
export class BooruProcess {
  private proc?: ChildProcess;
  log = "";

  constructor(
    readonly target: string,
    private readonly env: Record<string, string>,
    readonly port?: number,
  ) {}

  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [path.join(repoRoot, "packages/cli/bin/booru.js"), "run", `--target=${this.target}`], {
      env: { ...process.env, ...this.env, ...(this.port ? { BOORU_LISTEN: `127.0.0.1:${this.port}` } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (b: Buffer) => (this.log = (this.log + b.toString()).slice(-20_000));
    this.proc.stdout!.on("data", keep);
    this.proc.stderr!.on("data", keep);
    if (this.port) await waitForPort(this.port, 60_000, this.proc);
    else await until(() => this.log.includes('"ready"') || this.log.includes("\"msg\":\"ready\""), 60_000, `${this.target} ready`);
  }

  /** kill -9: no shutdown, no cleanup. */
  async kill9(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
      setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
    });
  }
}
