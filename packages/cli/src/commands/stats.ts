import { parseCommand, printHelp, withConnection } from "../client.js";
import { formatBytes, printFields, printJson } from "../format.js";
import { EXIT } from "../exit.js";

export const summary = "catalog totals: images, bytes, duplicates avoided, rejected by reason, ignored inbox entries, ingest rate";
const usage = "booru stats";

/** What the watcher's reasons for leaving an entry alone mean (BOORU_IGNORE, BOORU_EXTENSIONS). */
const IGNORED: Record<string, string> = { name: "temporary or hidden name", extension: "other extension" };

export async function run(args: string[]): Promise<number> {
  const { values, help } = parseCommand(args, {}, { min: 0, max: 0, usage });
  if (help) return printHelp(usage, summary, "");
  return withConnection(values, async (conn) => {
    const s = await conn.call((c) => c.getStats, {});
    if (conn.json) {
      // Every field, zeros included, so scripts can read them without defaults.
      printJson({ images: s.images, bytes: s.bytes, duplicates: s.duplicates, rejected: s.rejected, rejectedByReason: s.rejectedByReason, ignored: s.ignored, ignoredByReason: s.ignoredByReason, ingestedLastMinute: s.ingestedLastMinute });
      return EXIT.OK;
    }
    const byName = (counts: Record<string, number>) => Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    printFields([
      ["images", String(s.images)],
      ["bytes", `${formatBytes(s.bytes)} (${s.bytes})`],
      ["duplicates", String(s.duplicates)],
      ["rejected", String(s.rejected)],
      ...byName(s.rejectedByReason).map(([reason, n]): [string, string] => [`  ${reason}`, String(n)]),
      ["ignored", `${s.ignored} in the inboxes, not published`],
      ...byName(s.ignoredByReason)
        .filter(([, n]) => n > 0)
        .map(([why, n]): [string, string] => [`  ${IGNORED[why] ?? why}`, String(n)]),
      ["last minute", `${s.ingestedLastMinute} ingested`],
    ]);
    return EXIT.OK;
  });
}
