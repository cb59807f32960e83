import { createHash, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status, type ServiceError } from "@grpc/grpc-js";
import { libraryV1 } from "@booru/proto";
import { Authenticator, bearer, createLogger, GrpcHost, parseTokens } from "@booru/runtime";
import { createLibraryClient, type LibraryClient } from "./client.js";
import { CHUNK_BYTES, Library, LIBRARY_SERVICE, libraryHandlers } from "./library.js";

const md5Of = (b: Buffer) => createHash("md5").update(b).digest("hex");
const TOKENS = { read: "library-read-token-0123", hash: "library-hash-token-0123" };

/** A library folder holding `bytes` where dedup files them: ab/cd/<md5>.<ext>. */
function file(root: string, bytes: Buffer, ext = "jpg"): string {
  const md5 = md5Of(bytes);
  mkdirSync(path.join(root, md5.slice(0, 2), md5.slice(2, 4)), { recursive: true });
  writeFileSync(path.join(root, md5.slice(0, 2), md5.slice(2, 4), `${md5}.${ext}`), bytes);
  return md5;
}

/** Every message of one GetOriginal call, or its error code. */
function fetchOriginal(client: LibraryClient, req: Partial<libraryV1.GetOriginalRequest>, token?: string): Promise<libraryV1.GetOriginalResponse[] | number> {
  return new Promise((resolve) => {
    const got: libraryV1.GetOriginalResponse[] = [];
    const stream = client.getOriginal(libraryV1.GetOriginalRequest.fromPartial(req), bearer(token));
    stream.on("data", (m: libraryV1.GetOriginalResponse) => got.push(m));
    stream.on("error", (err: ServiceError) => resolve(err.code));
    stream.on("end", () => resolve(got));
  });
}

describe("Library API (booru.library.v1.Library)", () => {
  let root: string;
  let host: GrpcHost;
  let client: LibraryClient;
  let big: Buffer;
  let bigMd5: string;

  beforeAll(async () => {
    root = path.join(mkdtempSync(path.join(tmpdir(), "library-")), "library");
    mkdirSync(root);
    const log = createLogger("test", "silent");
    host = new GrpcHost({ listen: "127.0.0.1:0", log, auth: new Authenticator(parseTokens(`${TOKENS.read} read viewer\n${TOKENS.hash} hash hasher-only\n`)) });
    await host.bind();
    host.addService(LIBRARY_SERVICE, libraryV1.LibraryService, libraryHandlers(new Library(root)), { scopes: {} });
    client = createLibraryClient(host.localTarget);
    // Larger than any message may be: only chunks can carry it.
    big = randomBytes(40 * CHUNK_BYTES + 12_345);
    bigMd5 = file(root, big, "mp4");
  });
  afterAll(async () => {
    client?.close();
    await host?.shutdown(1000);
  });

  it("streams a large original in order, in chunks of at most 1 MiB, the size first", async () => {
    const got = await fetchOriginal(client, { md5: bigMd5 }, TOKENS.read);
    if (typeof got === "number") throw new Error(`code ${got}`);
    expect(got[0]!.size).toBe(big.length);
    expect(Math.max(...got.map((m) => m.chunk.length))).toBe(CHUNK_BYTES);
    expect(md5Of(Buffer.concat(got.map((m) => m.chunk)))).toBe(bigMd5);
  });

  it("sends a range: from an offset, at most a length; an offset past the end is out of range", async () => {
    const got = await fetchOriginal(client, { md5: bigMd5, offset: CHUNK_BYTES - 3, length: 10 }, TOKENS.read);
    if (typeof got === "number") throw new Error(`code ${got}`);
    expect(got[0]!.size).toBe(big.length);
    expect(Buffer.concat(got.map((m) => m.chunk))).toEqual(big.subarray(CHUNK_BYTES - 3, CHUNK_BYTES + 7));
    const tail = await fetchOriginal(client, { md5: bigMd5, offset: big.length - 5 }, TOKENS.read);
    expect(typeof tail !== "number" && Buffer.concat(tail.map((m) => m.chunk))).toEqual(big.subarray(big.length - 5));
    expect(await fetchOriginal(client, { md5: bigMd5, offset: big.length + 1 }, TOKENS.read)).toBe(status.OUT_OF_RANGE);
  });

  it("needs a token with the read scope", async () => {
    expect(await fetchOriginal(client, { md5: bigMd5 })).toBe(status.UNAUTHENTICATED);
    expect(await fetchOriginal(client, { md5: bigMd5 }, "not-a-token-of-this-library")).toBe(status.UNAUTHENTICATED);
    expect(await fetchOriginal(client, { md5: bigMd5 }, TOKENS.hash)).toBe(status.PERMISSION_DENIED);
  });

  it("finds a file by its md5 alone: not a half-written one, not another md5's, nothing for a malformed md5", async () => {
    const bytes = Buffer.from("a half-written original");
    const md5 = md5Of(bytes);
    const folder = path.join(root, md5.slice(0, 2), md5.slice(2, 4));
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `${md5}.png.partial`), bytes);
    writeFileSync(path.join(folder, `${md5.slice(0, 31)}0.png`), bytes);
    expect(await fetchOriginal(client, { md5 }, TOKENS.read)).toBe(status.NOT_FOUND);
    expect(await fetchOriginal(client, { md5: "../../../etc/passwd" }, TOKENS.read)).toBe(status.INVALID_ARGUMENT);
    expect(await fetchOriginal(client, { md5: md5.toUpperCase() }, TOKENS.read)).toBe(status.INVALID_ARGUMENT);
    writeFileSync(path.join(folder, `${md5}.png`), bytes);
    const got = await fetchOriginal(client, { md5 }, TOKENS.read);
    expect(typeof got !== "number" && Buffer.concat(got.map((m) => m.chunk)).toString()).toBe("a half-written original");
  });

  it("stays inside the library: a file or a folder linked from outside is refused", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "library-outside-"));
    const secret = Buffer.from("a file outside the library");
    writeFileSync(path.join(outside, "secret"), secret);
    const md5 = md5Of(secret);
    mkdirSync(path.join(root, md5.slice(0, 2), md5.slice(2, 4)), { recursive: true });
    symlinkSync(path.join(outside, "secret"), path.join(root, md5.slice(0, 2), md5.slice(2, 4), `${md5}.jpg`));
    expect(await fetchOriginal(client, { md5 }, TOKENS.read)).toBe(status.FAILED_PRECONDITION);

    // A whole bucket folder linked elsewhere.
    const other = Buffer.from("another file outside");
    const otherMd5 = md5Of(other);
    mkdirSync(path.join(outside, "bucket"));
    writeFileSync(path.join(outside, "bucket", `${otherMd5}.jpg`), other);
    mkdirSync(path.join(root, otherMd5.slice(0, 2)), { recursive: true });
    symlinkSync(path.join(outside, "bucket"), path.join(root, otherMd5.slice(0, 2), otherMd5.slice(2, 4)));
    expect(await fetchOriginal(client, { md5: otherMd5 }, TOKENS.read)).toBe(status.FAILED_PRECONDITION);
  });
});

describe("GetOriginal's pace", () => {
  it("reads no further ahead than the caller takes, and stops reading when the caller leaves", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "library-pace-"));
    const bytes = randomBytes(8 * CHUNK_BYTES);
    const md5 = file(root, bytes);
    const library = new Library(root);
    // Counts the chunks read from the file.
    let read = 0;
    const open = library.read.bind(library);
    library.read = async (...args) => {
      const original = (await open(...args))!;
      const chunks = original.chunks;
      return { ...original, chunks: (async function* () {
        for await (const c of chunks) {
          read++;
          yield c;
        }
      })() };
    };
    // A caller whose window is always full: each write waits for its "drain".
    const call = Object.assign(new EventEmitter(), { cancelled: false, written: 0, write: () => (call.written++, false) });
    const done = libraryHandlers(library).getOriginal!({ md5, offset: 0, length: 0 }, call);
    const drain = async (written: number) => {
      await expect.poll(() => call.written).toBe(written);
      call.emit("drain");
    };
    await drain(1); // the size
    await drain(2);
    await drain(3);
    await expect.poll(() => call.written).toBe(4);
    expect(read).toBe(3);
    call.cancelled = true;
    call.emit("cancelled");
    await done;
    expect(read).toBe(3);
  });
});
