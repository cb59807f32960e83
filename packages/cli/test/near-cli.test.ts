/** `booru near` as a user runs it: a subprocess (compiled dist/) against a catalog started here. */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveConformance } from "../../../test/harness/conformance.js";
import { startCatalog, TOKENS, type Running } from "../../../services/catalog/test/helpers.js";
import { getImage, listNear, photoRecord, put } from "../../../services/catalog/test/near-support.js";

const BIN = path.resolve(import.meta.dirname, "../bin/booru.js");
const present = haveConformance("booru near tests");

function booru(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!present)("booru near", () => {
  let cat: Running;
  let env: Record<string, string>;
  beforeAll(async () => {
    cat = await startCatalog();
    env = { BOORU_SERVER: cat.target, BOORU_TOKEN: TOKENS.read };
  });
  afterAll(async () => {
    await cat?.stop();
  });

  it("lists groups (table and --json), refuses to decide without admin, applies the suggestion with it", async () => {
    const photos = ["00002701.jpg", "00106901.jpg"];
    const [a, aHalf, b, bQ40] = [await photoRecord(photos[0]!, "original"), await photoRecord(photos[0]!, "half"), await photoRecord(photos[1]!, "original"), await photoRecord(photos[1]!, "q40")];
    for (const image of [aHalf, a, bQ40, b]) await put(cat, image);
    await expect.poll(() => listNear(cat).then((g) => g.length), { timeout: 15_000 }).toBe(2);

    const json = await booru(["near", "--json"], env);
    expect(json.code).toBe(0);
    const { groups } = JSON.parse(json.stdout) as { groups: { id: string; suggestedKeep: string; members: Record<string, unknown>[] }[] };
    expect(groups.map((g) => g.suggestedKeep).sort()).toEqual([a.md5, b.md5].sort());
    const ga = groups.find((g) => g.suggestedKeep === a.md5)!;
    expect(ga.members).toEqual([
      { md5: a.md5, width: 643, height: 488, bytes: a.info!.bytes, format: "jpeg", distance: 0 },
      { md5: aHalf.md5, width: 322, height: 244, bytes: aHalf.info!.bytes, format: "png", distance: expect.any(Number) },
    ]);

    const table = await booru(["near"], env);
    expect(table.stdout).toMatch(new RegExp(`${ga.id}\\s+\\*\\s+${a.md5}\\s+643x488\\s+jpeg`));

    const denied = await booru(["near", "apply", ga.id], env);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/permission|admin/i);

    const applied = await booru(["near", "apply"], { ...env, BOORU_TOKEN: TOKENS.admin });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`dropped ${aHalf.md5}`);
    expect(applied.stdout).toContain(`dropped ${bQ40.md5}`);
    expect((await getImage(cat, a.md5)).absorbed.map((x) => x.md5)).toEqual([aHalf.md5]);
    expect((await booru(["show", a.md5], env)).stdout).toContain(`also known as  ${aHalf.originalName} (${aHalf.md5})`);
    expect((await booru(["near"], env)).stdout.trim()).toBe("no near-duplicate groups");
  });
});
