/** dedup's settings, apart from its code so the module table reads them without loading it. */
import { settings } from "@booru/runtime";
import { hasherSettings } from "@booru/hasher/settings";

export const dedupSettings = {
  dedupConcurrency: settings.int("BOORU_DEDUP_CONCURRENCY", 8, "files processed at once by this replica", 1, 1024),
  duplicatesPolicy: settings.oneOf("BOORU_DUPLICATES_POLICY", ["move", "delete", "keep"], "move", "what happens to a duplicate: moved to duplicates/, deleted, or kept in place"),
  maxDeliveries: settings.int("BOORU_MAX_DELIVERIES", 5, "failures that are not outages (unexpected errors, deadlines), or deliveries without an answer, after which a file goes to rejected/ (max-deliveries)", 1, 1000),
  retryMaxAttempts: settings.int("BOORU_RETRY_MAX_ATTEMPTS", 25, "failed attempts (a service or the database unavailable) after which a file goes to rejected/ (gave-up); retries back off from 1s to 5m", 1, 100_000),
  retryMaxTime: settings.duration("BOORU_RETRY_MAX_TIME", 2 * 3_600_000, "time from a file's first attempt after which one still retrying or waiting goes to rejected/ (gave-up)"),
  settleMax: settings.duration("BOORU_SETTLE_MAX", 120_000, "a file that ends early (or is empty) is waited for while modified within this long, by its file server's clock (a writer that paused longer than BOORU_SETTLE_TIME); then rejected (truncated)"),
  lease: settings.duration("BOORU_LEASE", 60_000, "claim lease; a crashed replica's claim is taken over after this"),
  ackWait: settings.duration("BOORU_ACK_WAIT", 30_000, "an unacked message is redelivered after this (progress acks extend it)"),
  tombstonePolicy: settings.oneOf("BOORU_TOMBSTONE_POLICY", ["reject", "readmit"], "reject", "bytes of a deleted image: rejected (deleted) or ingested again"),
  // The hasher's own deadlines, declared there once: dedup waits a little longer than the longer
  // of the two so the hasher's answer wins.
  hasherTimeout: hasherSettings.hasherTimeout,
  hasherMediaTimeout: hasherSettings.hasherMediaTimeout,
  catalogTimeout: settings.duration("BOORU_CATALOG_TIMEOUT", 15_000, "deadline of one catalog call"),
  dedupBuffer: settings.bytes("BOORU_DEDUP_BUFFER", 16 * 1024 * 1024, "files up to this size are read once into memory; larger ones are read twice"),
  replicaId: settings.optional("BOORU_REPLICA_ID", "owner name on claims (default host:grpc-port, stable across restarts)"),
};
