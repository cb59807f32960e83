import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, connect, headers as natsHeaders, nanos, type JsMsg, type JetStreamClient, type JetStreamManager, type NatsConnection, type MsgHdrs } from "nats";
import type { Logger } from "../logger.js";
import { named, type Bus, type BusTopology, type ConsumeOptions, EventFeed, PublishOptions, PublishResult, QueueDepth, Subscription, WorkHandler, WorkMessage, WorkQueue } from "./types.js";

export interface NatsBusOptions {
  url: string;
  /** Prepended to stream, subject and consumer names so several installs (or test runs) share a server. */
  prefix: string;
  name: string;
  topology: BusTopology;
  duplicateWindowMs: number;
  log: Logger;
}

const toRecord = (h: MsgHdrs | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (h) for (const key of h.keys()) out[key] = h.get(key);
  return out;
};

/**
 * `Nats-*` headers are instructions to the server (Nats-Msg-Id, Nats-Expected-*), never payload
 * metadata: a consumer that republishes a message with the headers it received (dedup's requeue)
 * would otherwise resend the original Nats-Msg-Id, and JetStream would drop the copy as a
 * duplicate inside the window, leaving the file until the next reconcile scan.
 */
const isServerHeader = (key: string) => key.toLowerCase().startsWith("nats-");

const toHeaders = (h: Record<string, string> | undefined): MsgHdrs | undefined => {
  const entries = Object.entries(h ?? {}).filter(([k]) => !isServerHeader(k));
  if (entries.length === 0) return undefined;
  const out = natsHeaders();
  for (const [k, v] of entries) out.set(k, v);
  return out;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** JetStream work queue: one stream, explicit-ack durable pull consumers, server-side msgID dedup. */
class JetStreamQueue implements WorkQueue {
  private ready?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subject: string,
    private readonly duplicateWindowMs: number,
    private readonly log: Logger,
  ) {}

  /** Creates or updates the stream; safe to run from every replica at once. */
  ensureStream(): Promise<void> {
    this.ready ??= (async () => {
      const config = {
        name: this.stream,
        subjects: [this.subject],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(this.duplicateWindowMs),
      };
      try {
        await this.jsm.streams.info(this.stream);
        await this.jsm.streams.update(this.stream, config);
      } catch (err) {
        if (!String((err as Error).message).includes("stream not found")) throw err;
        await this.jsm.streams.add(config).catch(async (e) => {
          // Another replica created it between our info and add.
          if (!String((e as Error).message).includes("already in use")) throw e;
        });
      }
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async publish(data: Uint8Array, opts: PublishOptions = {}): Promise<PublishResult> {
    await this.ensureStream();
    const ack = await this.js.publish(this.subject, data, { msgID: opts.msgId, headers: toHeaders(opts.headers) });
    return { duplicate: ack.duplicate };
  }

  /** Before the consumer exists (its service not started yet) everything in the stream waits. */
  async depth(durable: string): Promise<QueueDepth> {
    const notFound = (err: unknown, what: string) => String((err as Error).message).includes(`${what} not found`);
    try {
      const info = await this.jsm.consumers.info(this.stream, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    } catch (err) {
      if (!notFound(err, "consumer") && !notFound(err, "stream")) throw err;
    }
    try {
      return { pending: (await this.jsm.streams.info(this.stream)).state.messages, ackPending: 0 };
    } catch (err) {
      if (notFound(err, "stream")) return { pending: 0, ackPending: 0 };
      throw err;
    }
  }

  /**
   * Creates the durable consumer, or updates it when it exists. A consumer that cannot be made
   * (a second consumer on this work-queue stream, a push consumer of that name, JetStream off)
   * fails here with the server's reason, instead of as a later "consumer not found".
   */
  private async ensureConsumer(opts: ConsumeOptions): Promise<void> {
    await this.ensureStream();
    const config = {
      durable_name: opts.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(opts.ackWaitMs),
      max_deliver: opts.maxDeliver,
      // Bounded across all replicas, so backpressure comes from the server.
      max_ack_pending: Math.max(opts.maxInFlight * 64, 1000),
      filter_subject: this.subject,
    };
    const where = `JetStream consumer ${JSON.stringify(opts.durable)} on stream ${this.stream}`;
    try {
      await this.jsm.consumers.add(this.stream, config);
    } catch (err) {
      const exists = await this.jsm.consumers.info(this.stream, opts.durable).then(() => true, () => false);
      if (!exists) throw new Error(`cannot create the ${where}: ${(err as Error).message}`, { cause: err });
      await this.jsm.consumers.update(this.stream, opts.durable, config).catch((e: Error) => {
        throw new Error(`cannot update the ${where}: ${e.message}`, { cause: e });
      });
    }
  }

  async consume(opts: ConsumeOptions, handler: WorkHandler): Promise<Subscription> {
    await this.ensureConsumer(opts);
    const consumer = await this.js.consumers.get(this.stream, opts.durable).catch((err: Error) => {
      throw new Error(`cannot consume from the JetStream consumer ${JSON.stringify(opts.durable)} on stream ${this.stream}: ${err.message}`, { cause: err });
    });
    const running = new Set<Promise<void>>();
    let stopped = false;
    let slotFreed: () => void = () => {};
    let batch: Awaited<ReturnType<typeof consumer.fetch>> | undefined;
    const loop = (async () => {
      let backoff = 250;
      while (!stopped) {
        const free = opts.maxInFlight - running.size;
        if (free <= 0) {
          await new Promise<void>((r) => (slotFreed = r));
          continue;
        }
        try {
          batch = await consumer.fetch({ max_messages: free, expires: 2000 });
          for await (const m of batch) {
            const job = handler(wrap(m))
              .catch((err) => this.log.error({ err, stream: this.stream, durable: opts.durable, delivery: m.info.deliveryCount }, "message handler failed; the message is redelivered after the ack wait"))
              .finally(() => {
              running.delete(job);
              slotFreed();
            });
            running.add(job);
          }
          backoff = 250;
        } catch (err) {
          if (stopped) break;
          this.log.warn({ err, stream: this.stream }, "JetStream fetch failed; retrying");
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 5000);
          await this.ensureConsumer(opts).catch((e) => this.log.error({ err: e, stream: this.stream }, "JetStream consumer could not be recreated; retrying"));
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        slotFreed();
        // Ends the pending pull now instead of when it expires.
        batch?.stop();
        await loop;
        await Promise.allSettled([...running]);
      },
    };
  }
}

function wrap(m: JsMsg): WorkMessage {
  return {
    data: m.data,
    subject: m.subject,
    deliveryCount: m.info.deliveryCount,
    headers: toRecord(m.headers),
    // ackAck waits for the server to confirm, so an acked file is really done.
    ack: async () => {
      await m.ackAck();
    },
    nak: (delayMs) => m.nak(delayMs),
    working: () => m.working(),
    term: () => m.term(),
  };
}

class NatsFeed implements EventFeed {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly log: Logger,
  ) {}

  publish(data: Uint8Array, headers?: Record<string, string>): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.subject, data, { headers: toHeaders(headers) });
  }

  subscribe(handler: (data: Uint8Array) => void): () => void {
    const sub = this.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        try {
          if (err) throw err;
          handler(msg.data);
        } catch (e) {
          this.log.error({ err: e, subject: this.subject }, "event subscriber failed");
        }
      },
    });
    return () => sub.unsubscribe();
  }
}

export async function connectNatsBus(opts: NatsBusOptions): Promise<Bus> {
  const nc = await connect({ servers: opts.url.split(","), name: opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 1000, waitOnFirstConnect: true });
  let up = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") up = false;
      if (s.type === "reconnect") up = true;
      opts.log.info({ status: s.type }, "NATS connection status");
    }
  })();
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  // A prefix "t1" gives stream t1_INGEST on t1.ingest.files; none gives INGEST on ingest.files.
  const p = opts.prefix.replace(/[^A-Za-z0-9_-]/g, "_");
  const stream = (name: string) => (p ? `${p}_${name}` : name);
  const subject = (name: string) => (p ? `${p}.${name}` : name);
  const queues = new Map(Object.entries(opts.topology.queues).map(([name, q]) => [name, new JetStreamQueue(nc, js, jsm, stream(q.stream), subject(q.subject), opts.duplicateWindowMs, opts.log)]));
  const feeds = new Map(Object.entries(opts.topology.feeds).map(([name, s]) => [name, new NatsFeed(nc, subject(s), opts.log)]));
  return {
    kind: "nats",
    queue: (name) => named("queue", queues, name),
    feed: (name) => named("feed", feeds, name),
    connected: () => up && !nc.isClosed(),
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
