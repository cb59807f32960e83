import { catalogV1 } from "@booru/proto";
import type { EventFeed, Logger } from "@booru/runtime";

type Listener = (event: catalogV1.Event) => void;

/**
 * Catalog events over the bus: every write of every replica is published once and every
 * replica hears all of them (its own included), for its index and its WatchEvents streams.
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Set<() => void>();
  private unsubscribe?: () => void;

  constructor(
    private readonly feed: EventFeed,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.feed.subscribe((data) => {
      let event: catalogV1.Event;
      try {
        event = catalogV1.Event.decode(data);
      } catch (err) {
        this.log.warn({ err }, "undecodable catalog event ignored");
        return;
      }
      for (const listener of this.listeners) listener(event);
    });
  }

  publish(event: catalogV1.Event): void {
    try {
      this.feed.publish(catalogV1.Event.encode(event).finish());
    } catch (err) {
      // The periodic index refresh heals what a lost event leaves behind.
      this.log.warn({ err }, "catalog event not published");
    }
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when `close()` is called; used to end long-lived streams at shutdown. */
  onClose(fn: () => void): () => void {
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  close(): void {
    this.unsubscribe?.();
    for (const fn of this.closers) fn();
    this.closers.clear();
    this.listeners.clear();
  }
}
