import { stat } from "node:fs/promises";
import { catalogV1 } from "@booru/proto";
import { parseCommand, printHelp, withConnection } from "../client.js";
import { formatBytes, intFlag, printJson, printTable, shortName } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "find visually similar images to a local file (hashed here) or to an image in the catalog";
const usage = "booru similar FILE|MD5 [--max-distance N] [--algo phash64|dhash64|phash256|blockhash256|frames] [--limit N]";
const flags = [
  "  --algo A             phash64 (default), dhash64, phash256, blockhash256, or frames (animations and videos: their frame signatures)",
  "  --max-distance N     Hamming distance, inclusive; 0 finds exact matches (default 8 for 64-bit, 32 for 256-bit hashes, 10 for frames)",
  "  --limit N            at most N matches, 1..1000 (default 50)",
].join("\n");

const ALGOS = {
  phash64: { enum: catalogV1.SimilarAlgorithm.PHASH64, bits: 64, field: "phash64" },
  dhash64: { enum: catalogV1.SimilarAlgorithm.DHASH64, bits: 64, field: "dhash64" },
  phash256: { enum: catalogV1.SimilarAlgorithm.PHASH256, bits: 256, field: "phash256" },
  blockhash256: { enum: catalogV1.SimilarAlgorithm.BLOCKHASH256, bits: 256, field: "blockhash256" },
  // A signature's distance is on one phash64's scale.
  frames: { enum: catalogV1.SimilarAlgorithm.FRAMES, bits: 64, field: "frameSignature" },
} as const;
type Algo = keyof typeof ALGOS;

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The query: an md5 in the catalog, or the file's hash computed here (the file is never uploaded). */
async function queryFor(arg: string, algo: Algo): Promise<{ md5?: string; hash?: string }> {
  if (await isFile(arg)) {
    const { closeLocalHashing, hashLocalFile } = await import("@booru/hasher");
    const hashed = await hashLocalFile(arg)
      .catch((err: Error) => {
        throw new CliError(`cannot hash ${arg}: ${err.message}`, EXIT.FAILURE);
      })
      .finally(closeLocalHashing);
    const hash = hashed.hashes?.[ALGOS[algo].field];
    if (!hash) throw new CliError(`${arg} has no ${algo === "frames" ? "frame signature (not an animation or video)" : algo}`, EXIT.FAILURE);
    return { hash };
  }
  if (/^[0-9a-fA-F]{32}$/.test(arg)) return { md5: arg.toLowerCase() };
  throw new CliError(`${JSON.stringify(arg)} is neither a file nor an md5`, EXIT.NOT_FOUND);
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, { algo: { type: "string" }, "max-distance": { type: "string" }, limit: { type: "string" } }, { min: 1, max: 1, usage });
  if (help) return printHelp(usage, summary, flags);
  const algo = ((values.algo as string | undefined) ?? "phash64") as Algo;
  if (!(algo in ALGOS)) throw new CliError(`--algo must be one of ${Object.keys(ALGOS).join(", ")}, got ${JSON.stringify(values.algo)}`, EXIT.USAGE);
  const maxDistance = values["max-distance"] === undefined ? undefined : intFlag(values["max-distance"], "max-distance", 0, 0, ALGOS[algo].bits);
  const limit = intFlag(values.limit, "limit", 50, 1, 1000);
  const query = await queryFor(positionals[0]!, algo);
  return withConnection(values, async (conn) => {
    const res = await conn.call((c) => c.findSimilar, catalogV1.FindSimilarRequest.fromPartial({ ...query, algorithm: ALGOS[algo].enum, maxDistance, limit }));
    if (conn.json) {
      // Distance spelled out even when 0 (proto JSON would leave it out).
      printJson({ matches: res.matches.map((m) => ({ distance: m.distance, image: catalogV1.Image.toJSON(m.image!) })) });
      return EXIT.OK;
    }
    const rows = res.matches.map((m) => {
      const i = m.image!;
      return [String(m.distance), i.md5, i.info?.format ?? "", `${i.info?.width ?? 0}x${i.info?.height ?? 0}`, formatBytes(i.info?.bytes ?? 0), shortName(i.originalName)];
    });
    printTable(["DISTANCE", "MD5", "FORMAT", "SIZE", "BYTES", "NAME"], rows, "no similar images");
    return EXIT.OK;
  });
}
