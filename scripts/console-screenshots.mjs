#!/usr/bin/env node
// `npm run screenshots`: makes docs/console/*.png, one per page of the web console, from a real
// `booru up` in a temp folder fed with generated photos (a few re-encoded copies, a duplicate and
// a file that is not a picture), through the system's Chromium.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { resized, writePictures } from "../test/e2e/pictures.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "docs", "console");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];

/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });

/** @param {() => Promise<boolean>} check @param {string} what */
async function until(check, what, ms = 120_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const data = await mkdtemp(path.join(tmpdir(), "booru-screenshots-"));
const inbox = path.join(data, "inbox");
const staging = path.join(data, "staging");
await mkdir(inbox, { recursive: true });
await mkdir(staging, { recursive: true });
const web = `http://127.0.0.1:${await freePort()}`;
const env = { ...process.env, NATS_URL: "", MONGO_URL: "", BOORU_SETTLE_TIME: "300ms", BOORU_LOG_LEVEL: "warn" };
const booru = spawn(process.execPath, [path.join(ROOT, "packages/cli/bin/booru.js"), "up", "--data", data, "--listen", `127.0.0.1:${await freePort()}`, "--metrics-listen", "127.0.0.1:0", "--web-listen", web.slice("http://".length)], { env, stdio: "inherit" });
const browser = await chromium.launch({ executablePath: process.env.BOORU_CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
try {
  await until(async () => (await fetch(`${web}/api/session`)).ok, "the console");
  /** @param {string} name @param {Buffer} bytes */
  const drop = async (name, bytes) => {
    await writeFile(path.join(staging, name), bytes);
    await rename(path.join(staging, name), path.join(inbox, name));
  };
  const photos = await writePictures(staging, 18);
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(`${web}/`);
  // Dropped in waves, so the overview's chart has more than one bar.
  for (const [i, p] of photos.entries()) {
    await rename(p, path.join(inbox, path.basename(p)));
    if (i % 6 === 5) await new Promise((r) => setTimeout(r, 1500));
  }
  await drop("photo-002 (edited).jpg", await resized(2, 480));
  await drop("photo-007-small.jpg", await resized(7, 320));
  await drop("holiday <2024>.jpg", await resized(11, 400));
  await drop("notes.jpg", Buffer.from("meeting notes, saved with the wrong extension\n"));
  await until(async () => (await (await fetch(`${web}/api/overview`)).json()).stats.images >= 21, "21 images");
  await drop("photo-001 again.jpg", await readFile(path.join(data, "library", ...(await firstLibraryPath()))));
  await until(async () => (await (await fetch(`${web}/api/overview`)).json()).stats.duplicates >= 1, "a duplicate");
  await until(async () => (await (await fetch(`${web}/api/overview`)).json()).stats.rejected >= 1, "a rejection");

  await mkdir(OUT, { recursive: true });
  /** @param {string} name */
  const shot = async (name) => {
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(OUT, `${name}.png`) });
    console.log(`docs/console/${name}.png`);
  };
  await page.waitForTimeout(1500);
  await shot("overview");
  await page.goto(`${web}/library`);
  await page.locator(".card").nth(20).waitFor();
  await shot("library");
  const md5 = await (await fetch(`${web}/api/images?format=jpeg`)).json().then((/** @type {{ images: { md5: string, name: string }[] }} */ r) => r.images.find((i) => i.name === "photo-002.jpg")?.md5);
  await page.goto(`${web}/image/${md5}`);
  await page.locator(".distance").first().waitFor();
  await page.evaluate(() => globalThis.scrollTo(0, 0));
  await shot("image");
  await page.goto(`${web}/near`);
  // photo-002 and its edited copy, photo-007 and its small one: the detector groups them.
  await page.locator(".group").waitFor({ timeout: 60_000 });
  await shot("near-duplicates");
  await page.goto(`${web}/rejected`);
  await page.getByRole("row", { name: /notes\.jpg/ }).waitFor();
  await shot("rejected");
  await page.goto(`${web}/search`);
  const probe = path.join(staging, "probe.jpg");
  await writeFile(probe, await resized(7, 560));
  await page.locator("#search-file").setInputFiles(probe);
  await page.locator(".distance").first().waitFor();
  await shot("search");
} finally {
  await browser.close();
  booru.kill("SIGTERM");
  await new Promise((r) => booru.once("exit", r));
  await rm(data, { recursive: true, force: true });
}

/** The library path of the oldest image, split in parts. */
async function firstLibraryPath() {
  /** @type {{ images: { md5: string }[] }} */
  const list = await (await fetch(`${web}/api/images`)).json();
  /** @type {{ image: { libraryPath: string } }} */
  const one = await (await fetch(`${web}/api/images/${list.images[list.images.length - 1].md5}`)).json();
  return one.image.libraryPath.split("/");
}
