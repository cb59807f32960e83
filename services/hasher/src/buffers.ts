/**
 * Image-sized buffers kept for the next request. Fresh memory is not free: each page is faulted
 * in on its first write (about 1.5 ms per MB on the benchmark machine, far more than the copy
 * into it), and V8 frees array buffers only at its next GC, so without reuse every image's
 * copies land on new pages.
 */
export interface Lease<T extends Uint8Array> {
  /** Exactly the size asked for. */
  view: T;
  /** Back to the pool: call once nothing writes to or reads from the view any more. */
  release(): void;
}

/** Buffers are allocated in multiples of this, so an idle one fits later requests of about the same size. */
const GRAIN = 1 << 18;

export class BufferPool<T extends Uint8Array> {
  /** Oldest first. */
  private readonly idle: T[] = [];
  private idleBytes = 0;

  /**
   * @param alloc makes a new buffer of the given size
   * @param maxIdleBytes the most memory kept in idle buffers (oldest dropped first)
   */
  constructor(
    private readonly alloc: (size: number) => T,
    private readonly maxIdleBytes = 32 << 20,
  ) {}

  lease(size: number): Lease<T> {
    const buf = this.takeIdle(size) ?? this.alloc(Math.ceil(Math.max(1, size) / GRAIN) * GRAIN);
    let released = false;
    return {
      view: buf.subarray(0, size) as T,
      release: () => {
        if (released) return;
        released = true;
        this.keep(buf);
      },
    };
  }

  /** Bytes held by idle buffers. */
  get idleSize(): number {
    return this.idleBytes;
  }

  /** The smallest idle buffer that fits. */
  private takeIdle(size: number): T | undefined {
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const n = this.idle[i]!.length;
      if (n >= size && (best < 0 || n < this.idle[best]!.length)) best = i;
    }
    if (best < 0) return undefined;
    const [buf] = this.idle.splice(best, 1);
    this.idleBytes -= buf!.length;
    return buf;
  }

  private keep(buf: T): void {
    if (buf.length > this.maxIdleBytes) return;
    this.idle.push(buf);
    this.idleBytes += buf.length;
    while (this.idleBytes > this.maxIdleBytes) this.idleBytes -= this.idle.shift()!.length;
  }
}
