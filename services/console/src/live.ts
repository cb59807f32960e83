import type { ServerResponse } from "node:http";
import type { catalogV1 } from "@booru/proto";
import type { Logger } from "@booru/runtime";
import type { Pipeline } from "./pipeline.js";
import { eventView } from "./views.js";

const LATEST = 30;
const HEARTBEAT_MS = 15_000;
const STATUS_MS = 2_000;
const HASHERS_MS = 10_000;

export interface Status {
  backlog: number;
  inFlight: number;
  hashers: { reachable: number; total: number };
  /**
   * The last two minutes as the catalog counts them: near-duplicates are found by the detector
   * a moment after the image's event, in the minute the image was ingested.
   */
  recent: catalogV1.ActivityMinute[];
}

/**
 * One WatchEvents stream from the catalog, shared by every open page: each event goes to each
 * page's server-sent-event stream at once. While a page is open the queue status is polled
 * and pushed too. The latest events are kept for a page that opens later.
 */
export class Live {
  private readonly clients = new Set<ServerResponse>();
  private readonly latest: catalogV1.Event[] = [];
  private stopWatch?: () => void;
  private retry?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private hashers: { at: number; value: { reachable: number; total: number } } = { at: 0, value: { reachable: 0, total: 0 } };
  private closed = false;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.connect(0);
    this.heartbeat = setInterval(() => this.send(": keep-alive\n\n"), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  latestEvents() {
    // A decided group is news for the near-duplicates page, not for the overview's list.
    return this.latest.map(eventView).filter((e) => e.type !== "other");
  }

  async status(): Promise<Status> {
    const [activity, hashers] = await Promise.all([this.pipeline.activity(2), this.hasherHealth()]);
    return { backlog: activity.backlog, inFlight: activity.inFlight, hashers, recent: activity.minutes };
  }

  /** Serves one page's event stream until it goes away. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    res.write("retry: 1000\n\n");
    this.clients.add(res);
    res.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopStatus();
    });
    this.startStatus();
  }

  close(): void {
    this.closed = true;
    this.stopWatch?.();
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.stopStatus();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private connect(attempt: number): void {
    if (this.closed) return;
    this.stopWatch = this.pipeline.watch(
      (event) => {
        attempt = 0;
        this.latest.unshift(event);
        this.latest.length = Math.min(this.latest.length, LATEST);
        this.send(`event: pipeline\ndata: ${JSON.stringify(eventView(event))}\n\n`);
        // A near-duplicate was just recorded: its count reaches the chart with the status now.
        if (event.nearGroupCreated || event.nearGroupChanged) this.pushStatus();
      },
      (err) => {
        if (this.closed) return;
        const delay = Math.min(10_000, 500 * 2 ** attempt);
        this.log.warn({ err: err?.message, retryMs: delay }, "catalog event stream ended; reconnecting");
        this.retry = setTimeout(() => this.connect(attempt + 1), delay);
      },
    );
  }

  private pushStatus(): void {
    if (this.clients.size === 0) return;
    this.status().then(
      (s) => this.send(`event: status\ndata: ${JSON.stringify(s)}\n\n`),
      (err: Error) => this.log.debug({ err: err.message }, "status poll failed"),
    );
  }

  private startStatus(): void {
    if (this.statusTimer) return;
    this.pushStatus();
    this.statusTimer = setInterval(() => this.pushStatus(), STATUS_MS);
  }

  private stopStatus(): void {
    clearInterval(this.statusTimer);
    this.statusTimer = undefined;
  }

  private async hasherHealth() {
    if (Date.now() - this.hashers.at > HASHERS_MS) this.hashers = { at: Date.now(), value: await this.pipeline.hashers() };
    return this.hashers.value;
  }

  private send(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}
