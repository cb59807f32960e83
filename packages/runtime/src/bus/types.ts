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

/**
 * The names an application gives its queues and feeds, and where they live on NATS (the kit
 * knows none of them; the composition root declares them).
 */
export interface BusTopology {
  queues: Record<string, QueueSpec>;
  /** Feed name -> NATS subject. */
  feeds: Record<string, string>;
}

export interface QueueSpec {
  /** JetStream work-queue stream holding the queue. */
  stream: string;
  subject: string;
  /**
   * In process nothing is durable: with this set, publish resolves only once a consumer acked
   * the message, so a publisher keeping its own durable copy (an outbox) knows when to drop it.
   */
  publishResolvesOnAck?: boolean;
}

export interface Bus {
  readonly kind: "nats" | "memory";
  /** A durable work queue of the topology; throws on a name it does not declare. */
  queue(name: string): WorkQueue;
  /** A fan-out feed of the topology (at most once, every subscriber in every process). */
  feed(name: string): EventFeed;
  /** True while connected (always true in memory). */
  connected(): boolean;
  close(): Promise<void>;
}

/** Looks a name up in what an adapter built from the topology. */
export function named<T>(kind: string, all: Map<string, T>, name: string): T {
  const found = all.get(name);
  if (!found) throw new Error(`no bus ${kind} named ${JSON.stringify(name)} (declared: ${[...all.keys()].join(", ") || "none"})`);
  return found;
}
