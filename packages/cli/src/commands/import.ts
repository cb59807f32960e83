import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseFlags } from "@booru/runtime";
import { importRecords, openRepos, type ImportProgress } from "@booru/catalog";
import { openClaimsStore } from "@booru/dedup";
import { EXIT, CliError } from "../exit.js";
import { printable } from "../format.js";
import { openStores, STORE_HELP } from "../stores.js";

export const summary = "load records written by `booru export` (JSON lines) into this store; idempotent, so running it again resumes";
const help = `usage: booru import FILE [store flags]\n\n${summary}\nEach record's md5 is also recorded as done for dedup, so the same bytes arriving later are duplicates.\nA running catalog sees the new records at its next index refresh (BOORU_CATALOG_INDEX_REFRESH) or restart.\n\n${STORE_HELP}\n`;

export async function run(args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (!file || file === "--help" || file === "-h") {
    process.stdout.write(help);
    return file ? EXIT.OK : EXIT.USAGE;
  }
  if (file.startsWith("--")) throw new CliError("the first argument is the file to import", EXIT.USAGE);
  const size = (await stat(file).catch(() => undefined))?.size;
  if (size === undefined) throw new CliError(`cannot read ${printable(file)}`, EXIT.USAGE);
  const stores = openStores(parseFlags(rest));
  try {
    const images = (await openRepos(stores)).images;
    const claims = await openClaimsStore(stores);
    const input = createReadStream(file);
    const started = Date.now();
    const line = (p: ImportProgress) => `${p.lines} lines, ${p.created} new, ${Math.round((100 * input.bytesRead) / Math.max(1, size))}%, ${Math.round(p.lines / Math.max(0.001, (Date.now() - started) / 1000))}/s`;
    const done = await importRecords(images, createInterface({ input, crlfDelay: Infinity }), {
      afterBatch: async (batch) => void (await claims.adoptDone(batch.map(({ image }) => ({ md5: image.md5, sha256: image.hashes?.sha256 ?? "", libraryPath: image.libraryPath, source: image.sourcePath })))),
      // On a terminal one line rewritten in place; in a log, a line every 50,000 records.
      progress: (p) => {
        if (process.stderr.isTTY) process.stderr.write(`\rimporting: ${line(p)}   `);
        else if (p.lines % 50_000 < 1000) process.stderr.write(`importing: ${line(p)}\n`);
      },
    });
    process.stderr.write(`${process.stderr.isTTY ? "\r" : ""}imported into ${stores.describe}: ${line(done)}\n`);
    return EXIT.OK;
  } finally {
    await stores.close();
  }
}
