/**
 * The Library API (booru.library.v1.Library): the originals dedup filed, read by md5 and
 * streamed in chunks. Read-only; the path comes from the md5 alone and stays inside the library.
 */
import { constants } from "node:fs";
import { open, readdir, type FileHandle } from "node:fs/promises";
import { status, type ServerWritableStream } from "@grpc/grpc-js";
import type { libraryV1 } from "@booru/proto";
import { AppError, badRequest, notFound, OutsideRootError, resolveInside, type Handler } from "@booru/runtime";

export const LIBRARY_SERVICE = "booru.library.v1.Library";
/** Under the gRPC message limit, large enough that a GiB video is a thousand messages. */
export const CHUNK_BYTES = 1 << 20;

export interface Original {
  /** The whole file's size. */
  size: number;
  /** The bytes asked for, in chunks; the file closes at the end or when the reader stops. */
  chunks: AsyncIterable<Buffer>;
  /** Closes the file (also when `chunks` was never read); again is harmless. */
  close(): Promise<void>;
}

export class Library {
  constructor(private readonly root: string) {}

  /**
   * The original of `md5`, from `offset`, at most `length` bytes (0: to the end). Undefined when
   * the library has no file of that md5.
   */
  async read(md5: string, offset: number, length: number): Promise<Original | undefined> {
    const file = await this.locate(md5);
    if (!file) return undefined;
    // No symlink at the last step either (resolveInside followed any before it).
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    try {
      const stat = await fh.stat();
      if (!stat.isFile()) throw new AppError(status.FAILED_PRECONDITION, `the library entry of ${md5} is not a file`);
      if (offset > stat.size) throw new AppError(status.OUT_OF_RANGE, `offset ${offset} is past the end of the file (${stat.size} bytes)`);
      const end = length > 0 ? Math.min(stat.size, offset + length) : stat.size;
      return { size: stat.size, chunks: chunksOf(fh, offset, end, close), close };
    } catch (err) {
      await close();
      throw err;
    }
  }

  /**
   * `library/ab/cd/<md5>.<ext>`: the md5 names the folder and the file; the extension (from the
   * format, chosen when it was filed) is read from the folder. A half-written `.partial` is not it.
   */
  private async locate(md5: string): Promise<string | undefined> {
    const folder = `${md5.slice(0, 2)}/${md5.slice(2, 4)}`;
    const names = await readdir(`${this.root}/${folder}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") return [];
      throw err;
    });
    const name = names.find((n) => n.length <= 50 && n.startsWith(`${md5}.`) && /^[a-z0-9]{1,16}$/.test(n.slice(33)));
    if (!name) return undefined;
    try {
      return await resolveInside(this.root, `${folder}/${name}`);
    } catch (err) {
      if (err instanceof OutsideRootError) throw new AppError(status.FAILED_PRECONDITION, `the library entry of ${md5} leads outside the library`);
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // deleted meanwhile
      throw err;
    }
  }
}

/** Reads [start, end) in chunks into fresh buffers (each is handed on), closing the file at the end or when the reader stops. */
async function* chunksOf(fh: FileHandle, start: number, end: number, close: () => Promise<void>): AsyncGenerator<Buffer> {
  try {
    for (let at = start; at < end; ) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - at));
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) throw new AppError(status.DATA_LOSS, "the file got shorter while it was read");
      at += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await close();
  }
}

type Call = ServerWritableStream<libraryV1.GetOriginalRequest, libraryV1.GetOriginalResponse>;

/** gRPC handlers: check the request, stream what the library reads, as fast as the caller takes it. */
export function libraryHandlers(library: Library): Record<string, Handler> {
  return {
    getOriginal: async (req: libraryV1.GetOriginalRequest, call: Call) => {
      if (!/^[0-9a-f]{32}$/.test(req.md5)) throw badRequest("md5 must be 32 lowercase hex digits");
      const original = await library.read(req.md5, req.offset, req.length);
      if (!original) throw notFound(`the library holds no original of ${req.md5}`);
      try {
        if (!(await write(call, { size: original.size, chunk: Buffer.alloc(0) }))) return;
        for await (const chunk of original.chunks) {
          if (!(await write(call, { size: 0, chunk }))) return; // the caller left: leaving the loop closes the file
        }
      } finally {
        await original.close();
      }
    },
  };
}

/** Writes one message; waits while the caller's window is full. False when the caller left. */
function write(call: Call, msg: libraryV1.GetOriginalResponse): Promise<boolean> {
  if (call.cancelled) return Promise.resolve(false);
  if (call.write(msg)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      call.off("drain", drained);
      call.off("cancelled", cancelled);
      resolve(ok);
    };
    const drained = done(true);
    const cancelled = done(false);
    call.on("drain", drained);
    call.on("cancelled", cancelled);
  });
}
