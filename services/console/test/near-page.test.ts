/**
 * The near-duplicates review page in Chromium, against the console's server with a pipeline in
 * memory (the catalog's ListNearDuplicates/ResolveNearDuplicates contract, issue 14): the keeper
 * preselected, differences shown, keyboard shortcuts, the decision kept after a reload.
 */
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { createLogger } from "@booru/runtime";
import { createConsoleServer, Live, StaticFiles } from "../src/index.js";
import { launchChromium, seriousViolations } from "../../../test/e2e/browser.js";
import { fakePipeline } from "./fake-pipeline.js";

/** Polls like expect.poll, with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>, opts: { timeout?: number } = {}) => expect.poll(fn, { timeout: 30_000, ...opts });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

it("reviews groups with the keyboard; decisions stick after a reload", async () => {
  const { pipeline, decisions } = fakePipeline();
  const log = createLogger("test", "silent");
  const server = createConsoleServer({ pipeline, live: new Live(pipeline, log), assets: new StaticFiles(), log, tokens: false, ownToken: "own", loopbackOnly: true, maxUploadBytes: 1024, sessionTtlMs: 60_000 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/near`);
    const group = page.locator('[data-group="g1"]');
    await poll(() => group.locator(".member").count()).toBe(3);
    // The suggested keeper is preselected; the others are not.
    expect(await group.locator(".member input").evaluateAll((boxes) => boxes.map((b) => (b as unknown as { checked: boolean }).checked))).toEqual([true, false, false]);
    expect(await group.locator(".member").first().textContent()).toContain("(suggested)");
    // Differences from the keeper, highlighted: pixels, bytes, format.
    const small = group.locator(`[data-md5="${"b".repeat(32)}"] .diff`);
    expect(await small.allTextContents()).toEqual([" (25% of the keeper's pixels)", " (−2.1 MiB)", " (jpeg, keeper png)"]);
    expect(await seriousViolations(page)).toEqual([]);

    // 3 selects the third picture as well, k keeps the selection.
    await page.keyboard.press("3");
    await page.keyboard.press("k");
    await poll(() => decisions.get("g1")).toEqual({ keep: ["a".repeat(32), "c".repeat(32)] });
    await poll(() => page.locator('[data-group="g2"]').count()).toBe(1);
    // a keeps all of the next group.
    await page.keyboard.press("a");
    await poll(() => decisions.get("g2")).toEqual({ keepAll: true });
    await page.reload();
    await poll(() => page.getByText("No near-duplicates wait for a decision.").count()).toBe(1);
  } finally {
    await page.close();
    await new Promise((r) => server.close(r));
  }
});
