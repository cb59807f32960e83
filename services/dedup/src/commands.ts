import type { Logger, WorkHandler } from "@booru/runtime";

/**
 * A bus handler for a command dedup carries out for the catalog (a deletion, a decision about a
 * rejected file): decode and check it (a malformed one is dropped for good), apply it, ack, then
 * report the outcome; a failure is retried with a growing delay, for as long as it takes.
 */
export function commandHandler<C, R>(opts: {
  what: string;
  log: Logger;
  /** Throws when the message is malformed. */
  decode(data: Uint8Array): C;
  apply(command: C): Promise<R>;
  report(command: C, outcome: R): void;
  /** Fields naming the command in the retry log line. */
  name(command: C): Record<string, unknown>;
}): WorkHandler {
  return async (msg) => {
    let command: C;
    try {
      command = opts.decode(msg.data);
    } catch (err) {
      opts.log.error({ err }, `malformed ${opts.what} dropped`);
      msg.term();
      return;
    }
    try {
      const outcome = await opts.apply(command);
      await msg.ack();
      opts.report(command, outcome);
    } catch (err) {
      const delayMs = Math.min(60_000, 1_000 * 2 ** Math.min(msg.deliveryCount, 6));
      opts.log.warn({ err, ...opts.name(command), delayMs }, `${opts.what} not applied yet; retrying`);
      msg.nak(delayMs);
    }
  };
}
