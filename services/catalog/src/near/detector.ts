/**
 * The near-duplicate detector: one active instance among the catalog replicas (the holder of a
 * lease in the store) works through the job queue in order. Each new image is looked up in the
 * similarity index, which holds every image processed before it (the index is rebuilt from the
 * store when this replica takes the lease, and the detector adds each image it processes), so of
 * two similar images the later one processed always finds the earlier: no pair is missed when
 * both arrive at once on two replicas, and groups have a single writer, so each is recorded once.
 */
import { randomBytes } from "node:crypto";
import type { catalogV1 } from "@booru/proto";
import type { Logger } from "@booru/runtime";
import { similarityHashes, type ImagesRepo } from "../repos/types.js";
import type { SimilarityIndex } from "../similarity.js";
import { components } from "./components.js";
import { bestKeeper, type KeeperCriterion } from "./keeper.js";
import { isNear, type NearRule, type RuleValues } from "./rule.js";
import { pairKey, pairOf, type NearGroup, type NearJob, type NearRepo, type SimilarPair } from "./types.js";

export type NearMode = "review" | "keep-best" | "off";
export type GroupChange = { kind: "created" | "changed" | "resolved"; group: NearGroup };

export interface DetectorDeps {
  repo: NearRepo;
  images: ImagesRepo;
  index: SimilarityIndex;
  /** Reconciles the index with the whole store (a rescan). */
  refreshIndex(): Promise<void>;
  /** Adds what was stored since the index was last reconciled (on taking the lease). */
  catchUpIndex(): Promise<void>;
  rule: NearRule;
  mode: NearMode;
  keeper: readonly KeeperCriterion[];
  /** Drops a near-duplicate in favour of the keeper (the deletion path). */
  drop(dropped: catalogV1.Image, keeper: catalogV1.Image): Promise<void>;
  changed(change: GroupChange): void;
  owner: string;
  log: Logger;
  leaseMs?: number;
  now?: () => number;
}

/** Candidates per index query; a real group is far smaller. */
const MAX_CANDIDATES = 10_000;
const BATCH = 50;

export class NearDetector {
  private leader = false;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly now: () => number;
  private readonly leaseMs: number;

  constructor(private readonly deps: DetectorDeps) {
    this.now = deps.now ?? Date.now;
    this.leaseMs = deps.leaseMs ?? 15_000;
  }

  /** Works through the queue if this replica holds (or can take) the lease; coalesces calls. */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
    if (this.leader) await this.deps.repo.releaseLease(this.deps.owner).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drain();
      } catch (err) {
        this.deps.log.error({ err }, "near-duplicate detection failed; retried on the next poll");
      }
    } while (this.again && !this.stopped);
  }

  private async holdLease(): Promise<boolean> {
    const held = await this.deps.repo.lease(this.deps.owner, this.now(), this.leaseMs);
    if (!held) this.leader = false;
    else if (!this.leader) {
      // Whatever the previous holder processed is in the store; the index must hold all of it.
      await this.deps.catchUpIndex();
      this.leader = true;
      this.deps.log.info({ owner: this.deps.owner }, "near-duplicate detector active on this replica");
    }
    return held;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (await this.holdLease())) {
      const jobs = await this.deps.repo.nextJobs(BATCH);
      if (jobs.length === 0) return;
      for (const job of jobs) {
        if (this.stopped) return;
        const result = await this.run(job);
        await this.deps.repo.finishJob(job.id, result);
      }
    }
  }

  private async run(job: NearJob): Promise<Record<string, number> | undefined> {
    if (job.kind === "image") await this.processImage(job.md5s[0]!);
    else if (job.kind === "regroup") await this.regroup(job.md5s);
    else return this.rescan();
    return undefined;
  }

  private async processImage(md5: string): Promise<void> {
    const image = await this.deps.images.get(md5);
    if (!image) return this.regroup([md5]); // deleted before its turn
    this.deps.index.upsert(md5, similarityHashes(image));
    const different = await this.deps.repo.differentAmong([md5]);
    const pairs = this.pairsOf(md5).filter((p) => !different.has(pairKey(p.a, p.b)));
    await this.deps.repo.putPairs(pairs);
    const partners = pairs.map((p) => (p.a === md5 ? p.b : p.a));
    if (partners.length > 0) await this.countFound(image, partners);
    if (this.deps.mode === "keep-best" && partners.length > 0) await this.keepBest(image, partners);
    await this.regroup([md5, ...partners]);
  }

  /**
   * The pairs of one image (already in the index) with every other image in the index:
   * candidates from the phash64 (or frame-signature) Hamming ball the index searches quickly,
   * each checked by the rule on the values the index holds, so no record is read.
   */
  pairsOf(md5: string): SimilarPair[] {
    const { index, rule } = this.deps;
    const mine = index.valuesOf(md5);
    if (!mine) return [];
    const out: SimilarPair[] = [];
    for (const [other, d] of this.candidates(md5, mine)) {
      const theirs = index.valuesOf(other);
      if (theirs && isNear(mine, theirs, rule)) out.push({ ...pairOf(md5, other), distance: d });
    }
    return out;
  }

  /** md5 -> the phash64 (or frame-signature) distance, of every image the rule may pair with this one. */
  private candidates(md5: string, values: RuleValues): Map<string, number> {
    const { index, rule } = this.deps;
    const near = (algo: "phash64" | "frames", max: number) => (values[algo] ? index.query(algo, values[algo], max, MAX_CANDIDATES) : []);
    const out = new Map<string, number>();
    const framed = Boolean(values.frames);
    if (framed) for (const m of near("frames", rule.frames)) out.set(m.md5, m.distance);
    for (const m of near("phash64", rule.phash64)) if (!(framed && index.hasFrames(m.md5))) out.set(m.md5, m.distance);
    out.delete(md5);
    return out;
  }

  /**
   * The overview's near-duplicates per minute: an image counts when it looks like one ingested
   * before it, so of each pair the later is recorded. Whichever of the two jobs runs first (the
   * index may or may not hold an image that arrived at the same time on another replica), the
   * same image is recorded, once.
   */
  private async countFound(image: catalogV1.Image, partners: string[]): Promise<void> {
    const later = (x: catalogV1.Image, y: catalogV1.Image) => (x.ingestedUnixMs > y.ingestedUnixMs || (x.ingestedUnixMs === y.ingestedUnixMs && x.md5 > y.md5) ? x : y);
    const found = new Map((await this.deps.images.getMany(partners)).map((other) => later(image, other)).map((i) => [i.md5, i]));
    for (const i of found.values()) await this.deps.repo.recordFound(i.md5, i.ingestedUnixMs);
  }

  /** keep-best: the newcomer stays only if it is the best of itself and its partners. */
  private async keepBest(image: catalogV1.Image, partners: string[]): Promise<void> {
    const others = await this.deps.images.getMany(partners);
    const best = bestKeeper([image, ...others], this.deps.keeper)!;
    const losers = best.md5 === image.md5 ? others : [image];
    for (const loser of losers) await this.deps.drop(loser, best);
    this.deps.log.info({ kept: best.md5, dropped: losers.map((l) => l.md5) }, "near-duplicate resolved at ingest (keep-best)");
  }

  /**
   * Recomputes the groups around `seeds`: the connected components over similar pairs between
   * images that still exist, minus the pairs declared different. A component keeps the id of the
   * group it overlaps most; groups left without a component are resolved.
   */
  async regroup(seeds: string[]): Promise<void> {
    const { repo, images } = this.deps;
    const before = await repo.groupsOf(seeds);
    const nodes = new Set([...seeds, ...before.flatMap((g) => g.members)]);
    const edges = new Map<string, SimilarPair>();
    for (let frontier = [...nodes]; frontier.length > 0; ) {
      const next: string[] = [];
      for (const p of await repo.pairsOf(frontier)) {
        edges.set(pairKey(p.a, p.b), p);
        for (const x of [p.a, p.b]) {
          if (nodes.has(x)) continue;
          nodes.add(x);
          next.push(x);
        }
      }
      frontier = next;
    }
    const present = new Set((await images.getMany([...nodes])).map((i) => i.md5));
    const missing = [...nodes].filter((n) => !present.has(n));
    if (missing.length > 0) await repo.deletePairsOf(missing);
    const different = await repo.differentAmong([...present]);
    const live = [...edges.values()].filter((e) => present.has(e.a) && present.has(e.b) && !different.has(pairKey(e.a, e.b)));
    const comps = components(present, live).filter((c) => c.length >= 2);
    await this.reconcile(comps, await repo.groupsOf([...nodes]));
  }

  private async reconcile(comps: string[][], existing: NearGroup[]): Promise<void> {
    const used = new Set<string>();
    const now = this.now();
    for (const members of comps.sort((x, y) => y.length - x.length)) {
      const set = new Set(members);
      const overlap = (g: NearGroup) => g.members.filter((m) => set.has(m)).length;
      const previous = existing
        .filter((g) => !used.has(g.id) && overlap(g) > 0)
        .sort((x, y) => overlap(y) - overlap(x) || (x.id < y.id ? -1 : 1))[0];
      if (previous && previous.members.join() === members.join()) {
        used.add(previous.id);
        continue;
      }
      const group = { id: previous?.id ?? newGroupId(now), members, updatedUnixMs: now };
      if (previous) used.add(previous.id);
      await this.deps.repo.putGroup(group, previous);
      this.deps.changed({ kind: previous ? "changed" : "created", group });
    }
    for (const g of existing) {
      if (used.has(g.id)) continue;
      await this.deps.repo.deleteGroup(g);
      this.deps.changed({ kind: "resolved", group: g });
    }
  }

  /** Every pair again from the index (thresholds may have changed); decisions stay. */
  private async rescan(): Promise<Record<string, number>> {
    const started = this.now();
    const { repo } = this.deps;
    await this.deps.refreshIndex();
    await repo.clearPairs();
    let batch: SimilarPair[] = [];
    const touched = new Set<string>();
    const flush = async () => {
      const different = await repo.differentAmong([...new Set(batch.flatMap((p) => [p.a, p.b]))]);
      const kept = batch.filter((p) => !different.has(pairKey(p.a, p.b)));
      await repo.putPairs(kept);
      for (const p of kept) touched.add(p.a).add(p.b);
      batch = [];
    };
    // From the index alone (it holds every value the rule reads): no record is parsed. Images
    // by a join on phash64 (every pair within the rule's distance, each once), checked by the
    // rule on the index's current values; animations and videos by frame signature, one by one
    // (few). The join yields between slices, and the replica keeps answering.
    const { index, rule } = this.deps;
    const images = index.size;
    for (const found of index.pairsWithin("phash64", rule.phash64)) {
      for (const [a, b, d] of found) {
        const va = index.valuesOf(a);
        const vb = index.valuesOf(b);
        if (va && vb && !(va.frames && vb.frames) && isNear(va, vb, rule)) batch.push({ ...pairOf(a, b), distance: d });
      }
      if (batch.length >= 5000) await flush();
      await this.holdLease();
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const md5 of index.framed()) {
      for (const p of this.pairsOf(md5)) if (p.a === md5 && index.hasFrames(p.b)) batch.push(p);
      if (batch.length >= 5000) await flush();
    }
    await flush();
    const seeds = new Set(touched);
    for await (const g of repo.allGroups()) for (const m of g.members) seeds.add(m);
    await this.regroup([...seeds]);
    const result = { images, pairs: await repo.countPairs(), groups: await repo.countGroups(), millis: this.now() - started };
    this.deps.log.info(result, "near-duplicates rescanned");
    return result;
  }
}

/** Sortable by creation, unique across replicas. */
function newGroupId(now: number): string {
  return `${now.toString(36)}${randomBytes(5).toString("hex")}`;
}
