/**
 * Real servers for integration tests, found in this order: NATS_URL / MONGO_URL; testcontainers
 * when a Docker engine is reachable; local binaries on free loopback ports in temp folders
 * (`nats-server -js`, FerretDB v1.24.2 built by scripts/build-ferretdb.sh, on the local
 * PostgreSQL when there is one).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ferretStorage } from "./ferret-backend.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Server {
  url: string;
  how: "env" | "testcontainers" | "local";
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 30_000, proc?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** A child process that dies with us and can be stopped and started again on the same port. */
export class LocalProcess {
  private proc?: ChildProcess;
  private log = "";

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly command: string,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    this.proc = spawn(this.command, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (b: Buffer) => (this.log = (this.log + b.toString()).slice(-4000));
    this.proc.stdout!.on("data", keep);
    this.proc.stderr!.on("data", keep);
    try {
      await waitForPort(this.port, 60_000, this.proc);
    } catch (err) {
      throw new Error(`${this.name} did not start: ${(err as Error).message}\n${this.log}`);
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill(signal);
      setTimeout(() => proc.kill("SIGKILL"), 5000).unref();
    });
  }
}

function hasBinary(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function dockerReachable(): Promise<boolean> {
  if (process.env.BOORU_TEST_NO_DOCKER) return false;
  const sock = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
  if (!process.env.DOCKER_HOST && !existsSync(sock)) return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** A nats-server -js on a free port with its own store folder. */
export async function startLocalNats(): Promise<LocalProcess & { url: string; dir: string; dispose(): Promise<void> }> {
  if (!hasBinary("nats-server")) throw new Error("nats-server is not installed (apt-get install nats-server)");
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "booru-nats-"));
  const proc = new LocalProcess("nats-server", port, "nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir]);
  const dispose = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await proc.start();
  return Object.assign(proc, { url: `nats://127.0.0.1:${port}`, dir, dispose });
}

/** FerretDB on a free port; where it keeps its data: ferret-backend.mjs. */
export async function startLocalFerret(): Promise<LocalProcess & { url: string; dir: string; dispose(): Promise<void> }> {
  const bin = execFileSync("bash", [path.join(ROOT, "scripts/build-ferretdb.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  const built = readFileSync(path.join(path.dirname(bin), "backend"), "utf8").trim();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "booru-ferret-"));
  const storage = ferretStorage(built, dir);
  const args = ["--listen-addr", `127.0.0.1:${port}`, ...storage.args];
  // BOORU_TEST_FERRET_DEBUG=1: each FerretDB serves Go's profiler on its own free port, printed,
  // for a goroutine dump when it stalls (curl ADDR/debug/pprof/goroutine?debug=2).
  if (process.env.BOORU_TEST_FERRET_DEBUG) {
    const debug = `127.0.0.1:${await freePort()}`;
    args.push("--debug-addr", debug);
    console.error(`ferretdb on ${port}: profiler at http://${debug}/debug/pprof/`);
  }
  const proc = new LocalProcess("ferretdb", port, bin, args);
  const dispose = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    storage.drop();
  };
  await proc.start();
  return Object.assign(proc, { url: `mongodb://127.0.0.1:${port}/`, dir, dispose });
}

const HOW = "set NATS_URL / MONGO_URL, or run a Docker engine for testcontainers, or install nats-server (apt-get install nats-server) and Go (FerretDB is built from the Go module proxy)";

export async function provideNats(): Promise<Server> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, how: "env", stop: async () => {} };
  if (await dockerReachable()) {
    const { GenericContainer, Wait } = await import("testcontainers");
    const c = await new GenericContainer("nats:2.9-alpine").withCommand(["-js"]).withExposedPorts(4222).withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start();
    return { url: `nats://${c.getHost()}:${c.getMappedPort(4222)}`, how: "testcontainers", stop: async () => void (await c.stop()) };
  }
  try {
    const p = await startLocalNats();
    return { url: p.url, how: "local", stop: p.dispose };
  } catch (err) {
    throw new Error(`no NATS server for the tests: ${(err as Error).message}. Ways: ${HOW}`);
  }
}

export async function provideMongo(): Promise<Server> {
  if (process.env.MONGO_URL) return { url: process.env.MONGO_URL, how: "env", stop: async () => {} };
  if (await dockerReachable()) {
    const { GenericContainer, Wait } = await import("testcontainers");
    const c = await new GenericContainer("mongo:7").withExposedPorts(27017).withWaitStrategy(Wait.forLogMessage(/Waiting for connections/)).start();
    return { url: `mongodb://${c.getHost()}:${c.getMappedPort(27017)}/`, how: "testcontainers", stop: async () => void (await c.stop()) };
  }
  try {
    const p = await startLocalFerret();
    return { url: p.url, how: "local", stop: p.dispose };
  } catch (err) {
    throw new Error(`no MongoDB-protocol server for the tests: ${(err as Error).message}. Ways: ${HOW}`);
  }
}
