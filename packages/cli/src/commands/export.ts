import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { parseFlags } from "@booru/runtime";
import { openRepos, recordLine } from "@booru/catalog";
import { EXIT, CliError } from "../exit.js";
import { openStores, STORE_HELP } from "../stores.js";

export const summary = "write every catalog record (with its thumbnail) as JSON lines, to stdout or --out FILE";
const help = `usage: booru export [--out FILE] [store flags]\n\n${summary}\n\n  --out FILE           write here instead of stdout\n${STORE_HELP}\n`;

export async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args);
  if (flags.has("--help")) {
    process.stdout.write(help);
    return EXIT.OK;
  }
  const outPath = flags.get("--out");
  flags.delete("--out");
  if (outPath === "true") throw new CliError("--out needs a file name", EXIT.USAGE);
  const stores = openStores(flags);
  const out = outPath ? createWriteStream(outPath) : process.stdout;
  try {
    const images = (await openRepos(stores)).images;
    let n = 0;
    for await (const record of images.records()) {
      // Backpressure: wait when the pipe or file is full rather than buffering a catalog in memory.
      if (!out.write(recordLine(record) + "\n")) await once(out, "drain");
      n++;
    }
    if (outPath) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
    process.stderr.write(`exported ${n} records from ${stores.describe}\n`);
    return EXIT.OK;
  } finally {
    await stores.close();
  }
}
