/**
 * Issue 18: grpcurl, a client this project did not write, through server reflection alone (no
 * .proto files): the README's commands on `booru up` in both modes, with and without tokens;
 * every listed service described and every one of its RPCs invoked; single targets list only
 * what they serve.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkHealth } from "@booru/runtime";
import { REPO, waitFor } from "../harness/index.js";
import { findGrpcurl, shell, shellBackground } from "../harness/grpcurl.js";
import { dropImages, requireTool, runningBooru, type Running } from "./clients-support.js";

const { bin, problem } = findGrpcurl();
const available = requireTool("grpcurl", problem);
const grpcurl = bin ?? "grpcurl";

/** The command lines of the README's grpcurl example block. */
function readmeLines(): string[] {
  const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
  const block = /### grpcurl\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  return block.split("\n").filter((l) => l.startsWith("grpcurl "));
}

const README_ADDRESS = "127.0.0.1:50051";
const AUTH = `-H "authorization: Bearer $BOORU_TOKEN"`;

/** How a command line is run against this booru: its address, and the token header when given. */
function adapt(line: string, booru: Running, withToken: boolean): string {
  const l = line.replace(README_ADDRESS, booru.app.target);
  return withToken ? l.replace("-plaintext", `-plaintext ${AUTH}`) : l;
}

async function run(line: string, booru: Running, withToken: boolean, timeoutMs?: number) {
  return shell(grpcurl, adapt(line, booru, withToken), { BOORU_TOKEN: booru.tokens?.read ?? "" }, timeoutMs);
}

async function ok(line: string, booru: Running, withToken: boolean): Promise<string> {
  const r = await run(line, booru, withToken);
  expect(r.code, `${line}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The README's commands, each with what a user should see. */
async function readmeCommands(booru: Running, withToken: boolean): Promise<void> {
  const lines = readmeLines();
  expect(lines.map((l) => l.split(" ").at(-1))).toEqual(["list", "booru.catalog.v1.Catalog", "booru.catalog.v1.Catalog/GetStats", "booru.catalog.v1.Catalog/ListImages", "booru.catalog.v1.Catalog/WatchEvents", "grpc.health.v1.Health/Check"]);
  const n = booru.md5s.length;
  for (const line of lines) {
    const rpc = line.split(" ").at(-1)!;
    if (rpc === "list") {
      expect((await ok(line, booru, withToken)).trim().split("\n")).toEqual(expect.arrayContaining(["booru.catalog.v1.Catalog", "booru.hasher.v1.Hasher", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]));
    } else if (line.includes(" describe ")) {
      const out = await ok(line, booru, withToken);
      expect(out).toContain(`${rpc} is a service:`);
      expect(out).toMatch(/rpc GetStats \( \.booru\.catalog\.v1\.GetStatsRequest \)/);
    } else if (rpc.endsWith("/GetStats")) {
      expect(JSON.parse(await ok(line, booru, withToken))).toMatchObject({ images: String(n) });
    } else if (rpc.endsWith("/ListImages")) {
      const pageSize = Number(/"page_size": (\d+)/.exec(line)![1]);
      const page = JSON.parse(await ok(line, booru, withToken)) as { images: { md5: string }[]; nextPageToken?: string };
      expect(page.images).toHaveLength(Math.min(pageSize, n));
      expect(booru.md5s).toEqual(expect.arrayContaining(page.images.map((i) => i.md5)));
      expect(Boolean(page.nextPageToken)).toBe(n > pageSize);
    } else if (rpc.endsWith("/WatchEvents")) {
      await watchForAMoment(line, booru, withToken);
    } else if (rpc.endsWith("/Check")) {
      expect(JSON.parse(await ok(line, booru, withToken))).toEqual({ status: "SERVING" });
    } else {
      throw new Error(`no expectation for the README's ${line}`);
    }
  }
}

/** Follows the stream while a new image is ingested, sees its event, then stops as Ctrl-C would. */
async function watchForAMoment(line: string, booru: Running, withToken: boolean): Promise<void> {
  const watch = shellBackground(grpcurl, adapt(line, booru, withToken), { BOORU_TOKEN: booru.tokens?.read ?? "" });
  try {
    // The stream is open once the server answered its headers; grpcurl prints nothing until
    // an event, so drop images until one shows up (the first may land before the subscription).
    let dropped: string[] = [];
    await waitFor("an ingested event from WatchEvents", async () => {
      if (watch.proc.exitCode !== null) throw new Error(`grpcurl exited: ${watch.output()}`);
      dropped = [...dropped, ...(await dropImages(booru.inbox, 1))];
      return dropped.some((md5) => watch.output().includes(`"md5": "${md5}"`));
    }, 60_000, 1500);
    expect(watch.output()).toMatch(/"ingested": \{/);
    booru.md5s.push(...dropped);
  } finally {
    watch.proc.kill("SIGINT");
  }
  await waitFor("the dropped images to be filed", async () => JSON.parse((await run(`grpcurl -plaintext ${README_ADDRESS} booru.catalog.v1.Catalog/GetStats`, booru, withToken)).stdout).images === String(booru.md5s.length));
}

interface Method {
  service: string;
  name: string;
  types: string[];
}

/** `list`, then `describe` of every listed service and of each method's message types. */
async function describeEverything(booru: Running, withToken: boolean): Promise<Method[]> {
  const services = (await ok(`grpcurl -plaintext ${README_ADDRESS} list`, booru, withToken)).trim().split("\n");
  const methods: Method[] = [];
  for (const service of services) {
    const out = await ok(`grpcurl -plaintext ${README_ADDRESS} describe ${service}`, booru, withToken);
    for (const m of out.matchAll(/rpc (\w+) \( (?:stream )?\.([\w.]+) \) returns \( (?:stream )?\.([\w.]+) \)/g)) {
      methods.push({ service, name: m[1]!, types: [m[2]!, m[3]!] });
    }
    expect(methods.some((m) => m.service === service), `${service} has methods:\n${out}`).toBe(true);
  }
  for (const type of new Set(methods.flatMap((m) => m.types))) {
    expect(await ok(`grpcurl -plaintext ${README_ADDRESS} describe ${type}`, booru, withToken)).toContain(`${type} is a message:`);
  }
  return methods;
}

/**
 * Every RPC, invoked with an empty request and a read token. A call grpcurl could resolve and
 * send ends with the server's status (exit 64 + code) or OK; streams run into -max-time.
 */
async function invokeEveryRpc(booru: Running, methods: Method[]): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  for (const m of methods) {
    const r = await run(`grpcurl -plaintext -max-time 2 -d '{}' ${README_ADDRESS} ${m.service}/${m.name}`, booru, true);
    expect(r.code === 0 || r.code >= 64, `${m.service}/${m.name}: exit ${r.code}\n${r.stderr}`).toBe(true);
    expect(r.stderr).not.toMatch(/Failed to|does not expose|cannot resolve/);
    outcomes.set(`${m.service}/${m.name}`, r.code === 0 ? "OK" : /Code: (\w+)/.exec(r.stderr)?.[1] ?? r.stderr);
  }
  return outcomes;
}

describe.skipIf(!available)("grpcurl through server reflection alone", () => {
  it("embedded booru up, no tokens: the README's commands, and every listed service described", async () => {
    const booru = await runningBooru({ mode: "embedded", tokens: false, images: 3 });
    await readmeCommands(booru, false);
    const methods = await describeEverything(booru, false);
    expect(methods.map((m) => `${m.service}/${m.name}`)).toEqual(expect.arrayContaining(["booru.catalog.v1.Catalog/WatchEvents", "booru.hasher.v1.Hasher/Hash", "grpc.health.v1.Health/Check"]));
  });

  it("NATS + FerretDB with tokens: the README's commands with a token, every RPC invoked; without a token only health answers", async () => {
    const booru = await runningBooru({ mode: "distributed", tokens: true, images: 3 });
    await readmeCommands(booru, true);
    const outcomes = await invokeEveryRpc(booru, await describeEverything(booru, true));
    expect(Object.fromEntries(outcomes)).toMatchObject({
      "booru.catalog.v1.Catalog/GetStats": "OK",
      "booru.catalog.v1.Catalog/ListImages": "OK",
      "booru.catalog.v1.Catalog/GetImage": "InvalidArgument",
      "booru.catalog.v1.Catalog/PutImage": "PermissionDenied",
      "booru.catalog.v1.Catalog/DeleteImage": "PermissionDenied",
      "booru.catalog.v1.Catalog/WatchEvents": "DeadlineExceeded",
      "grpc.health.v1.Health/Check": "OK",
    });

    const anonymous = (line: string) => run(line, booru, false);
    const list = await anonymous(`grpcurl -plaintext ${README_ADDRESS} list`);
    expect(list.stderr).toMatch(/code = Unauthenticated desc = missing bearer token/);
    const stats = await anonymous(`grpcurl -plaintext ${README_ADDRESS} booru.catalog.v1.Catalog/GetStats`);
    expect(stats.stderr).toMatch(/Unauthenticated/);
    const health = await anonymous(`grpcurl -plaintext ${README_ADDRESS} grpc.health.v1.Health/Check`);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
  });

  it.each([
    { target: "hasher", serves: "booru.hasher.v1.Hasher", not: "booru.catalog.v1.Catalog", mode: "embedded", tokens: false },
    { target: "catalog", serves: "booru.catalog.v1.Catalog", not: "booru.hasher.v1.Hasher", mode: "distributed", tokens: true },
  ] as const)("booru run --target=$target ($mode, tokens: $tokens) lists and describes only what it serves", async (t) => {
    const booru = await runningBooru({ command: "run", target: t.target, mode: t.mode, tokens: t.tokens, images: 0 });
    const listed = (await ok(`grpcurl -plaintext ${README_ADDRESS} list`, booru, t.tokens)).trim().split("\n");
    expect(listed).toContain(t.serves);
    expect(listed).not.toContain(t.not);
    // Every listed API service is really served: it has a health entry.
    for (const s of listed.filter((s) => !s.startsWith("grpc."))) expect(await checkHealth(booru.app.target, s), s).toBe("SERVING");
    await describeEverything(booru, t.tokens);
    expect(JSON.parse(await ok(`grpcurl -plaintext ${README_ADDRESS} grpc.health.v1.Health/Check`, booru, false))).toEqual({ status: "SERVING" });
  });
});
