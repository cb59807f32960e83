import { hostname } from "node:os";
import { realpath } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { libraryV1 } from "@booru/proto";
import { bearer, defineModule, FileClock, FILES_CONSUMER, type Subscription } from "@booru/runtime";
import { openClaimsStore } from "./claims/index.js";
import { createHasherClient } from "@booru/hasher/client";
import { createCatalogClient } from "@booru/catalog/client";
import { Deletions } from "./deletions.js";
import { dedupSettings } from "./settings.js";
import { RejectedFiles } from "./rejected-files.js";
import { Ingestor } from "./ingest.js";
import { createHandler } from "./consumer.js";
import { dedupMetrics } from "./metrics.js";
import { grpcCatalog, grpcHasher } from "./ports.js";
import { verifyPeers, type PeerCheck } from "./peers.js";
import { Library, LIBRARY_SERVICE, libraryHandlers } from "./library.js";

export { Ingestor, type Outcome, type IngestOptions } from "./ingest.js";
export { openClaimsStore, type AdoptedImage, type ClaimsStore } from "./claims/index.js";
export type { CatalogPort, HasherPort } from "./ports.js";
export { dedupSettings };
export { Library, LIBRARY_SERVICE } from "./library.js";

/** The durable consumer every dedup replica shares. */
export const DEDUP_DURABLE = FILES_CONSUMER;
/** The durable consumer of deleted images (from the catalog's outbox), shared likewise. */
export const DELETIONS_DURABLE = "dedup-deletions";
/** The durable consumer of people's decisions about rejected files (retry, delete). */
export const REJECTED_DURABLE = "dedup-rejected";
/** Downloads of originals get this long at shutdown; a browser asks again for the rest (HTTP ranges). */
const LIBRARY_DRAIN_MS = 5_000;


export const dedupModule = defineModule({
  name: "dedup",
  deps: ["hasher", "catalog"],
  settings: dedupSettings,
  // The Library API (originals, read scope): beyond loopback only with tokens.
  servesApi: true,
  folders: (paths, common) => [
    ...paths.inboxes.map((p) => ({ role: "inbox", path: p, write: true })),
    { role: "library", path: paths.library, write: true },
    { role: "duplicates folder", path: paths.duplicates, write: true },
    { role: "rejected folder", path: paths.rejected, write: true },
    ...(common.mongoUrl ? [] : [{ role: "SQLite file", path: paths.sqlite, write: true, file: true }]),
  ],
  async start(ctx, cfg) {
    // The files dedup filed, for the web console; served also while dedup waits for its peers.
    ctx.grpc.addService(LIBRARY_SERVICE, libraryV1.LibraryService, libraryHandlers(new Library(ctx.paths.library)), { scopes: {} });
    const claims = await openClaimsStore(ctx);
    const bus = await ctx.bus();
    // Deletions need neither the hasher nor the catalog: taken from the start, retried until done.
    const deletions = new Deletions({ library: ctx.paths.library, duplicates: ctx.paths.duplicates, duplicatesPolicy: cfg.duplicatesPolicy }, claims, ctx.log);
    // Stable across a restart of the same replica (same host and port; a restarted pod keeps its
    // name), so claims a crashed run left behind are resumed at once instead of after the lease.
    const owner = cfg.replicaId ?? `${hostname()}:${ctx.grpc.port}`;
    const tls = { caFile: ctx.common.tlsCa };
    const peers: PeerCheck[] = [
      { name: "hasher", peer: ctx.peer("hasher"), scope: "hash" },
      { name: "catalog", peer: ctx.peer("catalog"), scope: "write" },
    ];
    // Before the first file: a refused token stops the start here (nothing is copied anywhere).
    const first = await verifyPeers(peers, { caFile: tls.caFile, timeoutMs: 5_000 });
    const deletionsSub = await bus.queue("deletions").consume({ durable: DELETIONS_DURABLE, maxInFlight: 4, ackWaitMs: cfg.ackWait, maxDeliver: -1 }, deletions.handler());
    // A retried file goes back to the inbox its reason file names (the first when unknown).
    const rejectedFiles = new RejectedFiles({ rejected: ctx.paths.rejected, inboxes: ctx.paths.inboxes }, ctx.log);
    const rejectedSub = await bus.queue("rejectedFiles").consume({ durable: REJECTED_DURABLE, maxInFlight: 2, ackWaitMs: cfg.ackWait, maxDeliver: -1 }, rejectedFiles.handler());
    const [hasherPeer, catalogPeer] = [peers[0]!.peer, peers[1]!.peer];
    // Trace context goes into the metadata through the channel's interceptor (channelOptions).
    const hasherClient = createHasherClient(hasherPeer.target, { ...tls, tracing: ctx.common.tracing });
    const catalogClient = createCatalogClient(catalogPeer.target, { ...tls, tracing: ctx.common.tracing });
    const metrics = dedupMetrics(ctx.metrics, () => bus.queue("files").depth(DEDUP_DURABLE));
    const inboxes = await Promise.all(ctx.paths.inboxes.map((i) => realpath(i).catch(() => i)));
    const ingestor = new Ingestor(
      {
        // Events carry the inbox as configured; accept either spelling of it.
        inboxes: [...new Set([...ctx.paths.inboxes, ...inboxes])],
        library: ctx.paths.library,
        duplicates: ctx.paths.duplicates,
        rejected: ctx.paths.rejected,
        owner,
        leaseMs: cfg.lease,
        duplicatesPolicy: cfg.duplicatesPolicy,
        tombstonePolicy: cfg.tombstonePolicy,
        maxDeliveries: cfg.maxDeliveries,
        keepBytes: cfg.dedupBuffer,
        settleMaxMs: cfg.settleMax,
        fileClock: new FileClock(ctx.log),
      },
      claims,
      grpcHasher(hasherClient, Math.max(cfg.hasherTimeout, cfg.hasherMediaTimeout) + 5_000, () => bearer(hasherPeer.token)),
      grpcCatalog(catalogClient, cfg.catalogTimeout, () => bearer(catalogPeer.token)),
      metrics,
      ctx.log,
    );
    const handler = createHandler(ingestor, metrics, ctx.log, {
      ackWaitMs: cfg.ackWait,
      retry: { maxAttempts: cfg.retryMaxAttempts, maxTimeMs: cfg.retryMaxTime, maxErrors: cfg.maxDeliveries },
      requeue: async (data, headers) => void (await bus.queue("files").publish(data, { headers })),
    });
    let sub: Subscription | undefined;
    const consume = async () => {
      sub = await bus.queue("files").consume({ durable: DEDUP_DURABLE, maxInFlight: cfg.dedupConcurrency, ackWaitMs: cfg.ackWait, maxDeliver: cfg.maxDeliveries + 1 }, handler);
      ctx.log.info({ owner, concurrency: cfg.dedupConcurrency, policy: cfg.duplicatesPolicy }, "dedup consuming");
    };
    const stopping = new AbortController();
    let waiting: Promise<void> = Promise.resolve();
    if (first.ok) await consume();
    else {
      // A peer that is not up yet: files wait in the bus until both have accepted the token.
      ctx.log.warn({ waitingFor: first.waitingFor }, "cannot check dedup's tokens yet; files wait until the hasher and catalog answer");
      ctx.setHealth("NOT_SERVING");
      waiting = waitForPeers(peers, tls.caFile, stopping.signal, async () => {
        await consume();
        ctx.setHealth("SERVING");
      }, (message) => ctx.log.error(message));
    }
    return {
      async stop(deadlineMs) {
        const library = ctx.grpc.drain(LIBRARY_SERVICE, Math.min(deadlineMs, LIBRARY_DRAIN_MS));
        stopping.abort();
        await waiting;
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          (sub?.stop() ?? Promise.resolve()).then(() => true),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), deadlineMs))),
        ]);
        clearTimeout(timer);
        await deletionsSub.stop();
        await rejectedSub.stop();
        if (!finished) ctx.log.warn("dedup stopped with files in flight; they will be redelivered");
        hasherClient.close();
        catalogClient.close();
        await claims.close?.();
        await library;
      },
    };
  },
});

/** Checks the peers again with growing pauses until both accept the token, then calls `ready`. */
async function waitForPeers(peers: PeerCheck[], caFile: string | undefined, signal: AbortSignal, ready: () => Promise<void>, refused: (message: string) => void): Promise<void> {
  for (let pause = 1_000; !signal.aborted; pause = Math.min(pause * 2, 30_000)) {
    const slept = await sleep(pause, true, { signal }).catch(() => false);
    if (!slept) return;
    try {
      if ((await verifyPeers(peers, { caFile, timeoutMs: 5_000 })).ok) return await ready();
    } catch (err) {
      // Refused: nothing is taken; said again on every check until the tokens are fixed.
      refused((err as Error).message);
    }
  }
}
