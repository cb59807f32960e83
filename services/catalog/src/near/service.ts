/** The near-duplicate use cases behind the gRPC handlers: list groups, resolve one, rescan. */
import { randomBytes } from "node:crypto";
import { catalogV1 } from "@booru/proto";
import { badRequest, notFound } from "@booru/runtime";
import type { ImagesRepo } from "../repos/types.js";
import { decodeToken, encodeToken, limitArg, md5Arg } from "../validate.js";
import type { NearDetector, NearMode } from "./detector.js";
import { bestKeeper, type KeeperCriterion } from "./keeper.js";
import { nearDistances } from "./rule.js";
import { pairOf, type NearGroup, type NearJob, type NearRepo, type Pair } from "./types.js";

export interface NearServiceDeps {
  repo: NearRepo;
  images: ImagesRepo;
  detector: NearDetector;
  mode: NearMode;
  keeper: readonly KeeperCriterion[];
  /** The catalog's deletion path for a dropped copy (tombstone, file out of the library). */
  deleteImage(md5: string, keeperMd5: string): Promise<void>;
  now?: () => number;
  /** How long a resolve waits for the detector to redraw the groups. */
  regroupWaitMs?: number;
}

const MAX_PAGE = 1000;

export class NearService {
  private readonly now: () => number;

  constructor(private readonly deps: NearServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A newly stored image (also on an idempotent retry: a job per md5 is queued once). */
  async onIngested(md5: string): Promise<void> {
    if (this.deps.mode === "off") return;
    await this.queue({ id: `i:${md5}`, kind: "image", md5s: [md5], at: this.now() });
  }

  /** A deleted image leaves its group. */
  async onDeleted(md5: string): Promise<void> {
    await this.queue({ id: `d:${md5}:${randomId()}`, kind: "regroup", md5s: [md5], at: this.now() });
  }

  async list(req: catalogV1.ListNearDuplicatesRequest): Promise<catalogV1.ListNearDuplicatesResponse> {
    const limit = limitArg(req.pageSize, 100, MAX_PAGE, "page_size");
    const page = await this.deps.repo.listGroups(limit, decodeToken(req.pageToken));
    const groups = await Promise.all(page.items.map((g) => this.describe(g)));
    return { groups: groups.filter((g) => g.members.length >= 2), nextPageToken: encodeToken(page.next) };
  }

  /** A group as clients see it: members with their facts, the suggested keeper first. */
  async describe(group: NearGroup): Promise<catalogV1.NearDuplicateGroup> {
    const images = await this.deps.images.getMany(group.members);
    const keeper = bestKeeper(images, this.deps.keeper);
    const members = images
      .map((i) => ({
        md5: i.md5,
        width: i.info?.width ?? 0,
        height: i.info?.height ?? 0,
        bytes: i.info?.bytes ?? 0,
        format: i.info?.format ?? "",
        ingestedUnixMs: i.ingestedUnixMs,
        distance: keeper && i.md5 !== keeper.md5 ? (nearDistances(i.hashes, keeper.hashes).phash64 ?? 0) : 0,
        originalName: i.originalName,
      }))
      .sort((a, b) => (a.md5 === keeper?.md5 ? -1 : b.md5 === keeper?.md5 ? 1 : a.md5 < b.md5 ? -1 : 1));
    return { id: group.id, suggestedKeep: keeper?.md5 ?? "", members, updatedUnixMs: group.updatedUnixMs };
  }

  async resolve(req: catalogV1.ResolveNearDuplicatesRequest): Promise<catalogV1.ResolveNearDuplicatesResponse> {
    if (!req.groupId) throw badRequest("group_id is required");
    const group = await this.deps.repo.getGroup(req.groupId);
    if (!group) throw notFound(`no near-duplicate group ${req.groupId.slice(0, 80)}`);
    const images = await this.deps.images.getMany(group.members);
    const keep = this.keepOf(req, images, group);
    const kept = images.filter((i) => keep.has(i.md5));
    const dropped = images.filter((i) => !keep.has(i.md5));
    // Kept together on purpose: never paired again.
    await this.deps.repo.putDifferent(pairsAmong(kept.map((i) => i.md5)), this.now());
    const keeper = bestKeeper(kept, this.deps.keeper)!;
    for (const d of dropped) await this.drop(d, keeper.md5);
    const job: NearJob = { id: `r:${group.id}:${randomId()}`, kind: "regroup", md5s: group.members, at: this.now() };
    await this.queue(job);
    await this.waitFor(job.id, this.deps.regroupWaitMs ?? 10_000);
    return { kept: kept.map((i) => i.md5), dropped: dropped.map((i) => i.md5) };
  }

  async rescan(deadlineMs: number): Promise<catalogV1.RescanNearDuplicatesResponse> {
    const job: NearJob = { id: `s:${randomId()}`, kind: "rescan", md5s: [], at: this.now() };
    await this.queue(job);
    const state = await this.waitFor(job.id, deadlineMs);
    if (!state?.done) throw new Error("the rescan is still running on the detector; its figures are logged when it ends");
    await this.deps.repo.finishJob(job.id);
    const r = state.result ?? {};
    return { images: r.images ?? 0, pairs: r.pairs ?? 0, groups: r.groups ?? 0, millis: r.millis ?? 0 };
  }

  /**
   * Drops a copy in favour of the keeper: the keeper first takes the copy's name and md5 (and
   * what the copy had absorbed), then the copy goes through the deletion path.
   */
  async drop(dropped: catalogV1.Image, keeperMd5: string): Promise<void> {
    const keeper = await this.deps.images.get(keeperMd5);
    if (!keeper) throw new Error(`keeper ${keeperMd5} is gone`);
    const copy = { md5: dropped.md5, originalName: dropped.originalName, sourcePath: dropped.sourcePath, atUnixMs: this.now() };
    const absorbed = new Map(keeper.absorbed.map((a) => [a.md5, a]));
    for (const a of [copy, ...dropped.absorbed]) if (!absorbed.has(a.md5)) absorbed.set(a.md5, a);
    await this.deps.images.setAbsorbed(keeper.md5, [...absorbed.values()]);
    await this.deps.deleteImage(dropped.md5, keeper.md5);
  }

  private keepOf(req: catalogV1.ResolveNearDuplicatesRequest, images: catalogV1.Image[], group: NearGroup): Set<string> {
    if (req.keepAll) return new Set(images.map((i) => i.md5));
    if (req.applySuggestion) return new Set([bestKeeper(images, this.deps.keeper)!.md5]);
    if (req.keep) {
      const md5s = req.keep.md5s.map((m) => md5Arg(m, "keep.md5s"));
      if (md5s.length === 0) throw badRequest("keep.md5s must name at least one member of the group");
      for (const m of md5s) if (!group.members.includes(m)) throw badRequest(`${m} is not in group ${group.id}`);
      return new Set(md5s);
    }
    throw badRequest("a decision is required: keep, keep_all or apply_suggestion");
  }

  private async queue(job: NearJob): Promise<void> {
    await this.deps.repo.enqueue(job);
    void this.deps.detector.poke();
  }

  /** Until the job is done (or gone) or the time is up; the detector may run on another replica. */
  private async waitFor(id: string, ms: number) {
    const until = this.now() + ms;
    for (;;) {
      const state = await this.deps.repo.jobState(id);
      if (!state || state.done || this.now() >= until) return state;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function pairsAmong(md5s: string[]): Pair[] {
  const out: Pair[] = [];
  for (let i = 0; i < md5s.length; i++) for (let j = i + 1; j < md5s.length; j++) out.push(pairOf(md5s[i]!, md5s[j]!));
  return out;
}

const randomId = () => randomBytes(6).toString("hex");
