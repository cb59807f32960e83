import { catalogV1 } from "@booru/proto";
import { parseCommand, printHelp, withConnection } from "../client.js";
import { formatBytes, formatTime, printFields, printJson } from "../format.js";
import { CliError, EXIT } from "../exit.js";
import { kindLabel, timing } from "./hash.js";

export const summary = "show one image's record: hashes, facts, where it came from and where it is";
const usage = "booru show MD5|SHA256";

export async function run(args: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, {}, { min: 1, max: 1, usage });
  if (help) return printHelp(usage, summary, "");
  const key = positionals[0]!.toLowerCase();
  if (!/^([0-9a-f]{32}|[0-9a-f]{64})$/.test(key)) throw new CliError(`expected an md5 (32 hex digits) or a sha256 (64), got ${JSON.stringify(positionals[0])}`, EXIT.USAGE);
  return withConnection(values, async (conn) => {
    const { image } = await conn.call((c) => c.getImage, key.length === 32 ? { md5: key } : { sha256: key });
    if (conn.json) {
      printJson(catalogV1.Image.toJSON(image!));
      return EXIT.OK;
    }
    const i = image!;
    const h = i.hashes;
    const info = i.info;
    printFields([
      ["md5", i.md5],
      ["sha256", h?.sha256 ?? ""],
      ["kind", kindLabel(info?.kind)],
      ["format", `${info?.format ?? ""} ${info?.width ?? 0}x${info?.height ?? 0}, ${info?.frames ?? 0} frame(s)${info?.hasAlpha ? ", alpha" : ""}`],
      ...(info && timing(info) ? [["timing", timing(info)] as [string, string]] : []),
      ["size", `${formatBytes(info?.bytes ?? 0)} (${info?.bytes ?? 0} bytes)`],
      ["name", i.originalName],
      ["source", i.sourcePath],
      ["library", i.libraryPath],
      ["ingested", formatTime(i.ingestedUnixMs)],
      ["phash64", h?.phash64 ?? ""],
      ["dhash64", h?.dhash64 ?? ""],
      ["ahash64", h?.ahash64 ?? ""],
      ["phash256", h?.phash256 ?? ""],
      ["blockhash256", h?.blockhash256 ?? ""],
      ["colorhash42", h?.colorhash42 ?? ""],
      ...(h?.frameSignature ? [["frame signature", h.frameSignature] as [string, string]] : []),
      ["hash version", String(h?.hashVersion ?? 0)],
      ["thumbnail", i.thumbnailMime ? `${i.thumbnailMime} ${i.thumbnailWidth}x${i.thumbnailHeight}` : "none"],
      // Near-duplicate copies dropped in its favour: what they were called.
      ...i.absorbed.map((a) => ["also known as", `${a.originalName} (${a.md5})`] as [string, string]),
    ]);
    return EXIT.OK;
  });
}
