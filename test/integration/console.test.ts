/**
 * Issue 17: the web console in a real browser (the system's Chromium through Playwright) against a
 * real `booru up`: photos dropped into the inbox appear live on the overview and in the library;
 * an image and its similar images; search by picture; a rejected file; a near-duplicate group
 * reviewed with the keyboard; a hostile file name shown as text; a read token that cannot delete;
 * axe-core on every page.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startBooru, waitFor, type BooruProcess } from "../harness/index.js";
import { launchChromium, seriousViolations } from "../e2e/browser.js";
import { resized, writePictures } from "../e2e/pictures.mjs";

const env = (data: string) => ({ NATS_URL: "", MONGO_URL: "", BOORU_DATA: data, BOORU_SETTLE_TIME: "300ms", BOORU_SETTLE_MAX: "3s", BOORU_SHUTDOWN_TIMEOUT: "10s" });
const HOSTILE = `<img src=x onerror="window.__pwned=1">.jpg`;

/** An img element's width as decoded, 0 until it has loaded (runs in the page). */
const loadedWidth = (el: unknown) => {
  const img = el as { complete: boolean; naturalWidth: number };
  return img.complete ? img.naturalWidth : 0;
};

/** Polls like expect.poll, with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>, opts: { timeout?: number } = {}) => expect.poll(fn, { timeout: 30_000, ...opts });

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

async function up(data: string, args: string[] = []): Promise<BooruProcess> {
  const app = await startBooru("up", ["--data", data, ...args], env(data));
  onTestFinished(async () => {
    app.kill();
    await app.exited;
  });
  await waitFor("the web console", async () => (await fetch(`${app.webUrl}/api/session`).catch(() => undefined))?.ok);
  return app;
}

/** Writes a file into the inbox as a finished file (written aside, then renamed in). */
async function drop(inbox: string, name: string, bytes: Buffer): Promise<void> {
  const tmp = path.join(inbox, "..", `.${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, bytes);
  await rename(tmp, path.join(inbox, name));
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  onTestFinished(async () => {
    await page.close();
    expect(errors).toEqual([]);
  });
  return page;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page), page.url()).toEqual([]);
}

describe("web console (booru up, no tokens)", () => {
  it("shows photos live, browses the library, an image and its similar ones, searches by picture, lists rejections, reviews a near-duplicate group", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-console-"));
    const inbox = path.join(data, "inbox");
    await mkdir(inbox, { recursive: true });
    const app = await up(data);
    const page = await newPage();

    await page.goto(`${app.webUrl}/`);
    await poll(() => page.getByText("Nothing yet").isVisible()).toBe(true);
    await expectAccessible(page);

    // Live: the overview updates from the event stream, without a reload.
    const staging = mkdtempSync(path.join(os.tmpdir(), "booru-console-photos-"));
    const photos = await writePictures(staging, 6);
    for (const p of photos) await drop(inbox, path.basename(p), await import("node:fs/promises").then((fs) => fs.readFile(p)));
    await drop(inbox, "near-copy.jpg", await resized(2, 320));
    await drop(inbox, HOSTILE, await resized(4, 200));
    await drop(inbox, "broken.jpg", Buffer.from("this is not a picture"));
    const events = page.getByRole("list", { name: "Latest events" });
    const ingested = events.locator(".ev.ingested");
    for (const p of photos) await poll(() => ingested.getByText(path.basename(p)).count(), { timeout: 60_000 }).toBe(1);
    await poll(() => events.getByText("broken.jpg").count(), { timeout: 60_000 }).toBe(1);
    await poll(() => page.locator('[data-counter="images"] dd').textContent(), { timeout: 30_000 }).toBe("8");
    await poll(() => page.locator('[data-total="ingested"]').textContent()).toBe("8 in the hour");
    await poll(() => page.locator('[data-counter="hashers"] dd').textContent()).toBe("1 of 1");
    // near-copy.jpg and the hostile name are smaller copies of photos 2 and 4: two near-duplicates
    // on the chart, and the groups in the latest events (found after the events of their images).
    await poll(() => page.locator('[data-total="nearDuplicates"]').textContent(), { timeout: 60_000 }).toBe("2 in the hour");
    await poll(() => events.locator(".ev.near", { hasText: "near-copy.jpg" }).count()).toBeGreaterThan(0);
    // The hostile name is text on the page, never markup.
    await poll(() => ingested.getByText(HOSTILE).count()).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expectAccessible(page);

    // Library: newest first, every image; a filter narrows it.
    await page.getByRole("link", { name: "Library" }).click();
    const grid = page.getByRole("list", { name: "Images, newest first" });
    await poll(() => grid.getByRole("listitem").count()).toBe(8);
    await expectAccessible(page);
    await page.getByLabel("Format").fill("png");
    await page.getByLabel("Format").press("Enter");
    await poll(() => page.url()).toMatch(/format=png/);
    await poll(() => grid.getByRole("listitem").count()).toBe(photos.filter((p) => p.endsWith(".png")).length);
    const names = await grid.locator(".name").allTextContents();
    expect(names.every((n) => n.endsWith(".png"))).toBe(true);

    // An image and its similar images: the re-encoded copy of photo 2 is found, with its distance.
    await page.goto(`${app.webUrl}/library`);
    await grid.getByRole("link", { name: /photo-002\.jpg/ }).click();
    await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("photo-002.jpg");
    await poll(() => page.getByRole("row", { name: /hashes\.phash64/ }).count()).toBe(1);
    // The picture is the original from the library (through dedup's Library API), not the thumbnail.
    const record = (await fetch(`${app.webUrl}/api/images/${page.url().split("/").pop()}`).then((r) => r.json())) as { card: { width: number; bytes: number } };
    const original = page.locator("figure.picture img[data-original]");
    await poll(() => original.evaluate(loadedWidth)).toBe(record.card.width);
    expect(record.card.width).toBe(640);
    const served = await fetch(`${app.webUrl}${await original.getAttribute("src")}`);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    expect((await served.arrayBuffer()).byteLength).toBe(record.card.bytes);
    const similar = page.getByRole("list", { name: "Similar images" });
    await poll(() => similar.getByText("near-copy.jpg").count(), { timeout: 20_000 }).toBe(1);
    expect(await similar.locator(".distance").first().textContent()).toMatch(/^distance \d+$/);
    await expectAccessible(page);

    // Search by picture: another copy of photo 2, hashed by the hasher and never stored.
    await page.getByRole("link", { name: "Search by picture" }).click();
    const probe = path.join(staging, "probe.jpg");
    writeFileSync(probe, await resized(2, 400));
    await page.locator("#search-file").setInputFiles(probe);
    const found = page.getByRole("list", { name: "Similar images" });
    await poll(() => found.getByText("photo-002.jpg").count(), { timeout: 20_000 }).toBe(1);
    await expectAccessible(page);

    // Rejected: the file, its reason and when.
    await page.getByRole("link", { name: "Rejected" }).click();
    const row = page.getByRole("row", { name: /broken\.jpg/ });
    await poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toMatch(/unsupported/);
    await expectAccessible(page);

    // Retry: the user fixed the file in rejected/; it goes back to the inbox and is ingested.
    await writeFile(path.join(data, "rejected", "broken.jpg"), await resized(9, 300));
    await row.getByRole("button", { name: "Retry broken.jpg" }).click();
    await poll(() => row.count()).toBe(0);
    await poll(async () => (await fetch(`${app.webUrl}/api/images`).then((r) => r.json() as Promise<{ images: { name: string }[] }>)).images.some((i) => i.name === "broken.jpg"), { timeout: 60_000 }).toBe(true);
    expect(existsSync(path.join(data, "rejected", "broken.jpg.reason.json"))).toBe(false);
    // Delete (after confirming): the file and its reason leave rejected/.
    await drop(inbox, "junk.jpg", Buffer.from("still not a picture"));
    await poll(async () => (await fetch(`${app.webUrl}/api/rejected`).then((r) => r.json() as Promise<{ rejected: { name: string }[] }>)).rejected.some((r) => r.name === "junk.jpg"), { timeout: 60_000 }).toBe(true);
    await page.reload();
    const junk = page.getByRole("row", { name: /junk\.jpg/ });
    await poll(() => junk.count(), { timeout: 60_000 }).toBe(1);
    page.once("dialog", (d) => void d.accept());
    await junk.getByRole("button", { name: "Delete junk.jpg" }).click();
    await poll(() => junk.count()).toBe(0);
    await poll(() => existsSync(path.join(data, "rejected", "junk.jpg"))).toBe(false);
    expect(existsSync(path.join(data, "rejected", "junk.jpg.reason.json"))).toBe(false);

    // Near-duplicates: photo 2 and its copy at half the width form a group, photo 2 (more pixels)
    // selected to keep; the keep key drops the copy, for good.
    type NearList = { groups: { id: string; members: { name: string; md5: string }[] }[] };
    const nearGroups = async () => (await fetch(`${app.webUrl}/api/near`).then((r) => r.json() as Promise<NearList>)).groups;
    const hasCopy = (g: NearList["groups"][number]) => g.members.some((m) => m.name === "near-copy.jpg");
    await poll(async () => (await nearGroups()).filter(hasCopy).length, { timeout: 60_000 }).toBe(1);
    await page.getByRole("link", { name: "Near-duplicates" }).click();
    await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Near-duplicates");
    const groups = await nearGroups();
    const target = groups.find(hasCopy)!;
    const group = page.locator(`[data-group="${target.id}"]`);
    await poll(() => page.locator(".group").count()).toBe(1);
    for (let i = 0; i < groups.indexOf(target); i++) await page.keyboard.press("n");
    await poll(() => group.count()).toBe(1);
    const keeper = group.locator(".member", { hasText: "photo-002.jpg" });
    const copy = group.locator(".member", { hasText: "near-copy.jpg" });
    expect(await keeper.getByRole("checkbox").isChecked()).toBe(true);
    expect(await copy.getByRole("checkbox").isChecked()).toBe(false);
    expect(await keeper.textContent()).toMatch(/suggested/);
    await expectAccessible(page);
    const copyMd5 = target.members.find((m) => m.name === "near-copy.jpg")!.md5;
    const keeperMd5 = target.members.find((m) => m.name === "photo-002.jpg")!.md5;
    await page.keyboard.press("k");
    await poll(() => page.locator("#toast").textContent()).toBe("Kept 1.");
    await page.reload();
    await poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Near-duplicates");
    await poll(async () => (await nearGroups()).some((g) => g.id === target.id)).toBe(false);
    // Loaded (another group, or none left), and this one is not among them.
    await poll(() => page.locator(".group").or(page.getByText("No near-duplicates wait for a decision.")).count()).toBe(1);
    expect(await group.count()).toBe(0);
    expect((await fetch(`${app.webUrl}/api/images/${copyMd5}`)).status).toBe(404);
    const library = await fetch(`${app.webUrl}/api/images`).then((r) => r.json() as Promise<{ images: { name: string }[] }>);
    expect(library.images.map((i) => i.name)).not.toContain("near-copy.jpg");
    await expectAccessible(page);

    // The keeper's page names the copy it absorbed, with its md5.
    await page.goto(`${app.webUrl}/image/${keeperMd5}`);
    const dropped = page.getByRole("table", { name: "Dropped copies" });
    await poll(() => dropped.getByRole("row", { name: new RegExp(`near-copy\\.jpg ${copyMd5}`) }).count()).toBe(1);
    await expectAccessible(page);
  });
});

describe("web console (booru up, tokens)", () => {
  it("asks for a token; a read token looks but cannot delete; an admin deletes after confirming", async () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "booru-console-tokens-"));
    const inbox = path.join(data, "inbox");
    await mkdir(inbox, { recursive: true });
    const tokens = path.join(data, "..", `${path.basename(data)}.tokens`);
    writeFileSync(tokens, "console-read-token-0123 read viewer\nconsole-admin-token-0123 admin ops\n");
    const app = await up(data, ["--tokens-file", tokens]);
    await drop(inbox, "keep-me.jpg", await resized(7, 300));
    const page = await newPage();

    await page.goto(`${app.webUrl}/library`);
    await poll(() => page.url()).toMatch(/\/login\?next=%2Flibrary/);
    await expectAccessible(page);
    await page.getByLabel("Token").fill("not-a-valid-token-at-all");
    await page.getByRole("button", { name: "Log in" }).click();
    await poll(() => page.getByRole("alert").textContent()).toMatch(/not accepted/);
    await page.getByLabel("Token").fill("console-read-token-0123");
    await page.getByRole("button", { name: "Log in" }).click();
    await poll(() => page.url()).toMatch(/\/library$/);
    const grid = page.getByRole("list", { name: "Images, newest first" });
    await poll(() => grid.getByText("keep-me.jpg").count(), { timeout: 60_000 }).toBe(1);
    await grid.getByRole("link", { name: /keep-me\.jpg/ }).click();
    // A read token sees the original: the library checks the same tokens.
    await poll(() => page.locator("figure.picture img[data-original]").evaluate(loadedWidth)).toBe(300);
    const del = page.getByRole("button", { name: "Delete…" });
    await poll(() => del.isDisabled()).toBe(true);
    expect(await page.getByText("Deleting needs an admin token.").count()).toBe(1);
    // Even a hand-made request with the session's CSRF secret is refused for a read token.
    const md5 = page.url().split("/").pop()!;
    const forced = await page.evaluate(async (m) => {
      const session = (await (await fetch("/api/session")).json()) as { csrf: string };
      const res = await fetch(`/api/images/${m}/delete`, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrf }, body: "{}" });
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, md5);
    expect(forced.status).toBe(403);
    expect(forced.body.error).toMatch(/admin/);
    await expectAccessible(page);

    // An admin deletes it, after confirming.
    await page.getByRole("button", { name: "Log out" }).click();
    await poll(() => page.url()).toMatch(/\/login/);
    await page.getByLabel("Token").fill("console-admin-token-0123");
    await page.getByRole("button", { name: "Log in" }).click();
    await poll(() => page.getByText("ops (admin)").count()).toBe(1);
    await page.goto(`${app.webUrl}/image/${md5}`);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Delete…" }).click();
    await poll(() => page.url()).toMatch(/\/library$/);
    await poll(async () => (await fetch(`${app.webUrl}/api/images/${md5}`, { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).status).toBe(404);
  });
});
