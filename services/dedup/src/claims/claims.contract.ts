/** One contract for every ClaimsStore adapter (SQLite and MongoDB run the same cases). */
import { describe, expect, it } from "vitest";
import type { ClaimsStore } from "./types.js";

let n = 0;
const md5 = () => `${Date.now().toString(16)}${(n++).toString(16)}`.padEnd(32, "0");
const base = (id: string, owner = "a") => ({ md5: id, sha256: "s".repeat(64), owner, leaseUntil: Date.now() + 60_000, source: `in/${owner}.jpg` });

export function claimsContract(name: string, open: () => Promise<ClaimsStore>): void {
  describe(`claims store contract: ${name}`, () => {
    it("lets exactly one of many concurrent claimers win an md5", async () => {
      const store = await open();
      const id = md5();
      const results = await Promise.all(["a", "b", "c", "d", "e"].map((o) => store.tryClaim(base(id, o))));
      const winners = results.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      const owner = winners[0]!.won ? winners[0]!.claim.owner : "";
      for (const r of results.filter((x) => !x.won)) expect(r.won ? undefined : r.existing.owner).toBe(owner);
      expect(await store.get(id)).toMatchObject({ md5: id, state: "claimed", owner, attempts: 1 });
    });

    it("heartbeats only for the owner of a live claim", async () => {
      const store = await open();
      const id = md5();
      await store.tryClaim(base(id, "a"));
      const later = Date.now() + 120_000;
      expect(await store.heartbeat(id, "b", later)).toBe(false);
      expect(await store.heartbeat(id, "a", later)).toBe(true);
      expect((await store.get(id))!.leaseUntil).toBe(later);
      await store.markDone(id, "a", "ab/cd/x.jpg");
      expect(await store.heartbeat(id, "a", later + 1)).toBe(false);
    });

    it("takes over only an expired lease, and only once when two race", async () => {
      const store = await open();
      const live = md5();
      await store.tryClaim(base(live, "a"));
      const seenLive = (await store.get(live))!.leaseUntil;
      expect(await store.takeover(live, seenLive, "b", Date.now() + 60_000, "in/b.jpg")).toBe(false);

      const expired = md5();
      await store.tryClaim({ ...base(expired, "a"), leaseUntil: Date.now() - 1000 });
      const seen = (await store.get(expired))!.leaseUntil;
      const race = await Promise.all(["b", "c", "d"].map((o) => store.takeover(expired, seen, o, Date.now() + 60_000, `in/${o}.jpg`)));
      expect(race.filter(Boolean)).toHaveLength(1);
      const claim = (await store.get(expired))!;
      expect(claim.state).toBe("claimed");
      expect(claim.attempts).toBe(2);
      expect(["b", "c", "d"][race.indexOf(true)]).toBe(claim.owner);
      // The old owner lost it: it can no longer heartbeat or finish.
      expect(await store.heartbeat(expired, "a", Date.now() + 60_000)).toBe(false);
      expect(await store.markDone(expired, "a", "x")).toBe(false);
    });

    it("resumes a live claim only for the owner that left it", async () => {
      const store = await open();
      const id = md5();
      await store.tryClaim(base(id, "host:50051"));
      expect(await store.resume(id, "other:50051", Date.now() + 60_000, "in/x.jpg")).toBe(false);
      expect(await store.resume(id, "host:50051", Date.now() + 90_000, "in/y.jpg")).toBe(true);
      expect(await store.get(id)).toMatchObject({ owner: "host:50051", state: "claimed", source: "in/y.jpg", attempts: 2 });
      await store.markDone(id, "host:50051", "ab/cd/x.jpg");
      expect(await store.resume(id, "host:50051", Date.now() + 60_000, "in/z.jpg")).toBe(false);
    });

    it("marks done or failed only for the owner; a failed claim can be taken over at once", async () => {
      const store = await open();
      const done = md5();
      await store.tryClaim(base(done, "a"));
      expect(await store.markDone(done, "b", "x")).toBe(false);
      expect(await store.markDone(done, "a", "ab/cd/done.png")).toBe(true);
      expect(await store.get(done)).toMatchObject({ state: "done", libraryPath: "ab/cd/done.png" });
      const again = await store.tryClaim(base(done, "c"));
      expect(again.won).toBe(false);
      expect(!again.won && again.existing.state).toBe("done");
      expect(await store.takeover(done, 0, "c", Date.now() + 1000, "x")).toBe(false);

      const failed = md5();
      await store.tryClaim(base(failed, "a"));
      expect(await store.markFailed(failed, "b")).toBe(false);
      expect(await store.markFailed(failed, "a")).toBe(true);
      const f = (await store.get(failed))!;
      expect(f.state).toBe("failed");
      expect(await store.takeover(failed, f.leaseUntil, "b", Date.now() + 60_000, "in/b.jpg")).toBe(true);
      expect(await store.get(failed)).toMatchObject({ state: "claimed", owner: "b", source: "in/b.jpg" });
    });

    it("keeps the identity of the file that won, through resume and takeover, into done", async () => {
      const store = await open();
      const id = md5();
      await store.tryClaim({ ...base(id, "a"), entry: "entry-1" });
      expect(await store.get(id)).toMatchObject({ entry: "entry-1" });
      expect(await store.resume(id, "a", Date.now() + 60_000, "in/a.jpg", "entry-2")).toBe(true);
      await store.markFailed(id, "a");
      const failed = (await store.get(id))!;
      expect(await store.takeover(id, failed.leaseUntil, "b", Date.now() + 60_000, "in/b.jpg", "entry-3")).toBe(true);
      await store.markDone(id, "b", "ab/cd/x.jpg");
      expect(await store.get(id)).toMatchObject({ state: "done", source: "in/b.jpg", entry: "entry-3" });
      const old = md5();
      await store.tryClaim(base(old, "a"));
      expect((await store.get(old))!.entry).toBeUndefined();
    });

    it("tombstones any state, blocks claims, and readmits", async () => {
      const store = await open();
      const id = md5();
      await store.tryClaim(base(id, "a"));
      await store.markDone(id, "a", "x");
      await store.tombstone(id);
      const blocked = await store.tryClaim(base(id, "b"));
      expect(!blocked.won && blocked.existing.state).toBe("tombstoned");
      expect(!blocked.won && blocked.existing.sha256).toBe("s".repeat(64));
      expect(await store.takeover(id, 0, "b", Date.now() + 1000, "x")).toBe(false);

      const never = md5();
      await store.tombstone(never, "f".repeat(64));
      expect(await store.get(never)).toMatchObject({ state: "tombstoned", sha256: "f".repeat(64) });

      expect(await store.readmit(id)).toBe(true);
      expect(await store.readmit(id)).toBe(false);
      expect((await store.tryClaim(base(id, "b"))).won).toBe(true);
      expect(await store.readmit(id)).toBe(false); // only tombstones are lifted
    });

    it("adopts imported images as done claims, leaving existing claims alone, once", async () => {
      const store = await open();
      const [a, b, held] = [md5(), md5(), md5()];
      await store.tryClaim(base(held, "a"));
      const adopted = [a, b, held].map((id) => ({ md5: id, sha256: "s".repeat(64), libraryPath: `${id}.jpg`, source: `old/${id}.jpg` }));
      expect(await store.adoptDone(adopted)).toBe(2);
      expect(await store.adoptDone(adopted)).toBe(0);
      expect(await store.get(a)).toMatchObject({ state: "done", libraryPath: `${a}.jpg`, source: `old/${a}.jpg` });
      expect(await store.get(held)).toMatchObject({ state: "claimed", owner: "a" });
      expect(await store.tryClaim(base(b, "c"))).toMatchObject({ won: false, existing: { state: "done" } });
    });
  });
}
