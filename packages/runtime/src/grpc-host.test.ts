import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { makeGenericClientConstructor, credentials, status, type ServiceDefinition, type Client, type ClientReadableStream, type ServerWritableStream } from "@grpc/grpc-js";
import { GrpcHost } from "./grpc-host.js";
import { Authenticator, bearer, parseTokens } from "./auth.js";
import { checkAccess } from "./auth-client.js";
import { AppError } from "./errors.js";
import { createLogger } from "./logger.js";
import { checkHealth } from "./health-client.js";

const json = {
  requestSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  responseSerialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
};
const definition = {
  echo: { path: "/test.Echo/Echo", requestStream: false, responseStream: false, ...json },
  ticks: { path: "/test.Echo/Ticks", requestStream: false, responseStream: true, ...json },
} as unknown as ServiceDefinition;
const EchoClient = makeGenericClientConstructor(definition, "Echo");
const log = createLogger("test", "silent");

type Echo = Client & {
  echo(req: unknown, md: unknown, cb: (err: { code: number } | null, res?: { text: string }) => void): void;
  ticks(req: unknown, md: unknown): ClientReadableStream<{ n: number }>;
};
const call = (c: Echo, text: string, token?: string) =>
  new Promise<{ text: string }>((resolve, reject) => c.echo({ text }, bearer(token), (err, res) => (err ? reject(err) : resolve(res!))));

let hosts: GrpcHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.shutdown(1000)));
  hosts = [];
});

/** Writes two messages, then ends. */
async function ticks(_req: unknown, call: ServerWritableStream<unknown, { n: number }>) {
  call.write({ n: 1 });
  call.write({ n: 2 });
}

async function startHost(handler: (req: { text: string }) => Promise<{ text: string }>, opts: { auth?: Authenticator; scopes?: boolean } = {}) {
  const host = new GrpcHost({ listen: "127.0.0.1:0", log, auth: opts.auth ?? new Authenticator([]) });
  hosts.push(host);
  await host.bind();
  host.addService("test.Echo", definition, { echo: handler, ticks }, opts.scopes ? { scopes: { echo: "write", ticks: "read" } } : {});
  const client = new EchoClient(host.localTarget, credentials.createInsecure()) as unknown as Echo;
  return { host, client };
}

describe("GrpcHost", () => {
  it("reports NOT_SERVING until told, SERVING when ready, NOT_SERVING when draining", async () => {
    const { host } = await startHost(async (r) => r);
    expect(await checkHealth(host.localTarget, "test.Echo")).toBe("NOT_SERVING");
    expect(await checkHealth(host.localTarget, "")).toBe("NOT_SERVING");
    host.setStatus("test.Echo", "SERVING");
    host.setStatus("", "SERVING");
    expect(await checkHealth(host.localTarget, "test.Echo")).toBe("SERVING");
    expect(await checkHealth(host.localTarget, "")).toBe("SERVING");
    await host.drain("test.Echo", 1000);
    expect(await checkHealth(host.localTarget, "test.Echo")).toBe("NOT_SERVING");
    host.setAllNotServing();
    expect(await checkHealth(host.localTarget, "")).toBe("NOT_SERVING");
    // Liveness stays SERVING while draining: a draining pod must not be restarted.
    expect(await checkHealth(host.localTarget, "liveness")).toBe("SERVING");
  });

  it("drains: an in-flight call finishes, new calls are refused with UNAVAILABLE", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { host, client } = await startHost(async (req) => {
      await gate;
      return { text: req.text.toUpperCase() };
    });
    const inFlight = call(client, "slow");
    await new Promise((r) => setTimeout(r, 100));
    expect(host.inFlight("test.Echo")).toBe(1);
    const drained = host.drain("test.Echo", 5000);
    await expect(call(client, "late")).rejects.toMatchObject({ code: status.UNAVAILABLE });
    release();
    await expect(inFlight).resolves.toEqual({ text: "SLOW" });
    await expect(drained).resolves.toBe(true);
  });

  it("gives up draining at the deadline", async () => {
    const { host, client } = await startHost(() => new Promise(() => {}));
    void call(client, "forever").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await expect(host.drain("test.Echo", 200)).resolves.toBe(false);
  });

  it("hides internal errors and keeps reason codes", async () => {
    const { client } = await startHost(async () => {
      throw new Error("secret stack detail");
    });
    await expect(call(client, "x")).rejects.toMatchObject({ code: status.INTERNAL, details: "internal error" });
  });

  it("checks bearer tokens and scopes", async () => {
    const auth = new Authenticator(parseTokens("writer-token-0123456789 write dedup\nreader-token-0123456789 read cli\n"));
    const { client } = await startHost(async (r) => r, { auth, scopes: true });
    await expect(call(client, "x")).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(call(client, "x", "wrong-token-0123456789")).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(call(client, "x", "reader-token-0123456789")).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(call(client, "x", "writer-token-0123456789")).resolves.toEqual({ text: "x" });
  });

  it("ends a server stream it refuses or that fails with its status, not a hang", async () => {
    const streaming = { watch: { path: "/test.Watch/Watch", requestStream: false, responseStream: true, ...json } } as unknown as ServiceDefinition;
    const auth = new Authenticator(parseTokens("reader-token-0123456789 read cli\n"));
    const host = new GrpcHost({ listen: "127.0.0.1:0", log, auth });
    hosts.push(host);
    await host.bind();
    host.addService("test.Watch", streaming, { watch: async () => { throw new AppError(status.NOT_FOUND, "nothing to watch"); } }, { scopes: {} });
    const client = new (makeGenericClientConstructor(streaming, "Watch"))(host.localTarget, credentials.createInsecure()) as unknown as Client & { watch(req: unknown, md: unknown, opts: unknown): NodeJS.EventEmitter };
    const watch = (token?: string) =>
      new Promise<{ code: number; details: string }>((resolve) => {
        const stream = client.watch({}, bearer(token), { deadline: Date.now() + 5000 });
        stream.on("data", () => undefined);
        stream.on("error", (err: { code: number; details: string }) => resolve(err));
      });
    await expect(watch()).resolves.toMatchObject({ code: status.UNAUTHENTICATED, details: "missing bearer token" });
    await expect(watch("reader-token-0123456789")).resolves.toMatchObject({ code: status.NOT_FOUND, details: "nothing to watch" });
    client.close();
  });

  it("refuses to serve an authenticated API beyond loopback without tokens", async () => {
    const host = new GrpcHost({ listen: "0.0.0.0:0", log, auth: new Authenticator([]) });
    hosts.push(host);
    expect(() => host.addService("test.Echo", definition, { echo: async (r: unknown) => r }, { scopes: {} })).toThrow(/without tokens/);
  });

  it("ends a refused server stream with its status (a watch without a token does not hang)", async () => {
    const auth = new Authenticator(parseTokens("reader-token-0123456789 read cli\n"));
    const { client } = await startHost(async (r) => r, { auth, scopes: true });
    const outcome = (token?: string) =>
      new Promise<{ code: number; got: number[] }>((resolve) => {
        const got: number[] = [];
        const stream = client.ticks({}, bearer(token));
        stream.on("data", (m) => got.push(m.n));
        stream.on("error", (err: { code: number }) => resolve({ code: err.code, got }));
        stream.on("end", () => resolve({ code: status.OK, got }));
      });
    await expect(outcome()).resolves.toEqual({ code: status.UNAUTHENTICATED, got: [] });
    await expect(outcome("wrong-token-0123456789")).resolves.toEqual({ code: status.UNAUTHENTICATED, got: [] });
    await expect(outcome("reader-token-0123456789")).resolves.toEqual({ code: status.OK, got: [1, 2] });
  });

  it("answers Auth.Check: who the caller is, or why not", async () => {
    const auth = new Authenticator(parseTokens("reader-token-0123456789 read cli\n"));
    const { host } = await startHost(async (r) => r, { auth, scopes: true });
    expect(await checkAccess(host.localTarget, "reader-token-0123456789", "read")).toEqual({ kind: "ok", name: "cli" });
    expect(await checkAccess(host.localTarget, "reader-token-0123456789", "write")).toEqual({ kind: "denied", message: "token cli lacks the write scope" });
    expect(await checkAccess(host.localTarget, undefined, "read")).toEqual({ kind: "denied", message: "missing bearer token" });
    expect((await checkAccess("127.0.0.1:1", undefined, "read", { timeoutMs: 500 })).kind).toBe("unreachable");
  });

  it("says a port in use in plain words", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const host = new GrpcHost({ listen: `127.0.0.1:${port}`, log, auth: new Authenticator([]) });
      await expect(host.bind()).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the address is in use (another booru running?); choose another with BOORU_LISTEN`);
    } finally {
      taken.close();
    }
  });
});
