/**
 * The event bus port. Two adapters: NATS JetStream (distributed) and an in-process queue
 * (embedded). Both give at-least-once delivery with explicit ack/nak, a message-id
 * duplicate window on publish and a delivery count, so consumers are written once.
 */

export interface PublishOptions {
  /** Messages with the same id inside the duplicate window are dropped. */
  msgId?: string;
  headers?: Record<string, string>;
}

export interface PublishResult {
  /** True when the bus dropped the message as a repeat of msgId. */
  duplicate: boolean;
}

export interface WorkMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  readonly headers: Record<string, string>;
  ack(): Promise<void>;
  /** Redeliver after the delay. */
  nak(delayMs?: number): void;
  /** Progress: resets the ack timer for long work. */
  working(): void;
  /** Never redeliver. */
  term(): void;
}

export interface ConsumeOptions {
  /** Durable consumer name shared by every replica. */
  durable: string;
  /** Messages handled at once by this replica. */
  maxInFlight: number;
  /** Unacked messages are redelivered after this long. */
  ackWaitMs: number;
  /** Deliveries after which the bus gives up on a message; -1: never (retried until acked). */
  maxDeliver: number;
}

export type WorkHandler = (msg: WorkMessage) => Promise<void>;

export interface Subscription {
  /** Stops taking messages and waits for the handlers that are running. */
  stop(): Promise<void>;
}

/** The durable consumer of the files queue that every dedup replica shares. */
export const FILES_CONSUMER = "dedup";

export interface QueueDepth {
  /** Not yet delivered. */
  pending: number;
  /** Delivered, not yet acked. */
  ackPending: number;
}

/** A durable work queue on one subject (a JetStream work-queue stream). */
export interface WorkQueue {
  /**
   * Resolves once the bus holds the message: stored in the stream (JetStream), or queued in
   * this process (in-process; see `Bus.deletions` for the queue that resolves on the ack).
   */
  publish(data: Uint8Array, opts?: PublishOptions): Promise<PublishResult>;
  consume(opts: ConsumeOptions, handler: WorkHandler): Promise<Subscription>;
  depth(durable: string): Promise<QueueDepth>;
}

/** Fan-out of live events to every subscriber in every process (at most once). */
export interface EventFeed {
  publish(data: Uint8Array, headers?: Record<string, string>): void;
  subscribe(handler: (data: Uint8Array) => void): () => void;
}

export interface Bus {
  readonly kind: "nats" | "memory";
  /** The queue of discovered files. */
  files: WorkQueue;
  /**
   * Deleted images (ingestV1.ImageDeleted), from the catalog's outbox to dedup. In process the
   * queue is not durable, so its publish resolves only once a consumer acked the message: the
   * outbox keeps each deletion until then, and relays it again after a restart.
   */
  deletions: WorkQueue;
  /**
   * People's decisions about rejected files (ingestV1.RejectedFileAction: retry, delete), from
   * the catalog to dedup, the owner of rejected/. In process, like `deletions`, the publish
   * resolves once a consumer acked the message.
   */
  rejectedFiles: WorkQueue;
  /** Catalog events (ingested, duplicate, rejected, deleted). */
  events: EventFeed;
  /** Snapshots from modules, latest wins (the watcher's InboxReport); lost ones are replaced by the next. */
  reports: EventFeed;
  /** True while connected (always true in memory). */
  connected(): boolean;
  close(): Promise<void>;
}
