import type { Logger } from "../logger.js";
import type { Bus, ConsumeOptions, EventFeed, PublishOptions, PublishResult, QueueDepth, Subscription, WorkHandler, WorkMessage, WorkQueue } from "./types.js";

interface Entry {
  data: Uint8Array;
  headers: Record<string, string>;
  deliveries: number;
  /** Set when publish waits for the ack (`untilAcked`): settles the publisher's promise. */
  acked?: (err?: Error) => void;
}

/**
 * In-process work queue with the same semantics as the JetStream adapter: msgId duplicate
 * window, explicit ack, nak with delay, ack-wait redelivery, max deliveries. Not durable: in
 * embedded mode the inbox itself is the durable queue (the watcher rescans at start).
 */
export class MemoryQueue implements WorkQueue {
  private readonly ready: Entry[] = [];
  private readonly seen = new Map<string, number>();
  private readonly wakers = new Set<() => void>();
  private unacked = 0;

  /**
   * `untilAcked`: publish resolves when a consumer acks the message (rejects when the bus gives
   * up on it), so a publisher keeping its own durable copy knows when it may drop it.
   */
  constructor(
    readonly subject: string,
    private readonly duplicateWindowMs: number,
    private readonly log: Logger,
    private readonly untilAcked = false,
  ) {}

  async publish(data: Uint8Array, opts: PublishOptions = {}): Promise<PublishResult> {
    if (opts.msgId) {
      const now = Date.now();
      for (const [id, until] of this.seen) if (until <= now) this.seen.delete(id);
      if (this.seen.has(opts.msgId)) return { duplicate: true };
      this.seen.set(opts.msgId, now + this.duplicateWindowMs);
    }
    const entry: Entry = { data, headers: { ...opts.headers }, deliveries: 0 };
    const acked = this.untilAcked ? new Promise<void>((resolve, reject) => (entry.acked = (err) => (err ? reject(err) : resolve()))) : undefined;
    this.enqueue(entry);
    await acked;
    return { duplicate: false };
  }

  async depth(): Promise<QueueDepth> {
    return { pending: this.ready.length, ackPending: this.unacked };
  }

  async consume(opts: ConsumeOptions, handler: WorkHandler): Promise<Subscription> {
    const running = new Set<Promise<void>>();
    let stopped = false;
    let wake: () => void = () => {};
    const pump = () => {
      while (!stopped && running.size < opts.maxInFlight && this.ready.length > 0) {
        const entry = this.ready.shift()!;
        const job = this.deliver(entry, opts, handler).finally(() => {
          running.delete(job);
          pump();
        });
        running.add(job);
      }
    };
    wake = pump;
    this.wakers.add(wake);
    pump();
    return {
      stop: async () => {
        stopped = true;
        this.wakers.delete(wake);
        await Promise.allSettled([...running]);
      },
    };
  }

  private enqueue(entry: Entry): void {
    this.ready.push(entry);
    for (const wake of this.wakers) wake();
  }

  private deliver(entry: Entry, opts: ConsumeOptions, handler: WorkHandler): Promise<void> {
    entry.deliveries++;
    this.unacked++;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      this.unacked--;
      return true;
    };
    const redeliver = (delayMs: number) => {
      if (!settle()) return;
      if (opts.maxDeliver > 0 && entry.deliveries >= opts.maxDeliver) {
        // The bus gives up, as JetStream does.
        entry.acked?.(new Error(`${this.subject}: given up after ${entry.deliveries} deliveries`));
        return;
      }
      setTimeout(() => this.enqueue(entry), delayMs).unref();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => redeliver(0), opts.ackWaitMs);
      timer.unref();
    };
    arm();
    const msg: WorkMessage = {
      data: entry.data,
      subject: this.subject,
      deliveryCount: entry.deliveries,
      headers: entry.headers,
      ack: async () => {
        if (settle()) entry.acked?.();
      },
      nak: (delayMs = 0) => redeliver(delayMs),
      working: () => (settled ? undefined : arm()),
      term: () => {
        if (settle()) entry.acked?.(new Error(`${this.subject}: message terminated by its consumer`));
      },
    };
    // A handler that throws without settling is redelivered after the ack wait, like JetStream.
    return handler(msg).catch((err) => this.log.error({ err, subject: this.subject, durable: opts.durable, delivery: entry.deliveries }, "message handler failed; the message is redelivered after the ack wait"));
  }
}

export class MemoryFeed implements EventFeed {
  private readonly handlers = new Set<(data: Uint8Array) => void>();

  constructor(
    readonly subject: string,
    private readonly log: Logger,
  ) {}

  publish(data: Uint8Array): void {
    for (const h of this.handlers) {
      try {
        h(data);
      } catch (err) {
        // One bad subscriber must not stop the others.
        this.log.error({ err, subject: this.subject }, "event subscriber failed");
      }
    }
  }

  subscribe(handler: (data: Uint8Array) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

export function createMemoryBus(log: Logger, duplicateWindowMs = 120_000): Bus {
  return {
    kind: "memory",
    files: new MemoryQueue("ingest.files", duplicateWindowMs, log),
    deletions: new MemoryQueue("booru.deletions", duplicateWindowMs, log, true),
    rejectedFiles: new MemoryQueue("booru.rejected", duplicateWindowMs, log, true),
    events: new MemoryFeed("booru.events", log),
    reports: new MemoryFeed("booru.reports", log),
    connected: () => true,
    close: async () => {},
  };
}
