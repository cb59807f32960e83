import { catalogV1, hasherV1 } from "@booru/proto";
import { parseCommand, printHelp, printList, withConnection } from "../client.js";
import { bytesFlag, formatBytes, formatTime, intFlag, shortName, timeFlag } from "../format.js";
import { CliError, EXIT } from "../exit.js";
import { kindLabel } from "./hash.js";

export const summary = "list catalogued images, animations, videos and archives, newest first";
const usage = "booru ls [--limit N] [--all] [--kind K] [--format F] [--min-bytes SIZE] [--max-bytes SIZE] [--since WHEN] [--until WHEN] [--page-token T]";
const flags = [
  "  --limit N            images per page, 1..1000 (default 50)",
  "  --all                follow every page",
  "  --page-token T       continue where a previous listing stopped",
  "  --kind K             only this kind: image, animation, video or archive",
  "  --format F           only this format (jpeg, png, gif, webp, mp4, webm, zip, ...)",
  "  --min-bytes SIZE     at least this large (4096, 64KiB, 2MB)",
  "  --max-bytes SIZE     at most this large",
  "  --since WHEN         ingested at or after: ISO date/time or a duration ago (30m, 2h)",
  "  --until WHEN         ingested before",
].join("\n");

const KINDS: Record<string, hasherV1.MediaKind> = { image: hasherV1.MediaKind.IMAGE, animation: hasherV1.MediaKind.ANIMATION, video: hasherV1.MediaKind.VIDEO, archive: hasherV1.MediaKind.ARCHIVE };

function kindFlag(value: string | boolean | undefined): hasherV1.MediaKind {
  if (value === undefined) return hasherV1.MediaKind.UNSPECIFIED;
  const kind = typeof value === "string" ? KINDS[value] : undefined;
  if (kind === undefined) throw new CliError(`--kind must be one of ${Object.keys(KINDS).join(", ")}, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return kind;
}

/** "12.5s" for what plays, "" for the rest. */
const duration = (i: catalogV1.Image) => (i.info?.durationMs ? `${(i.info.durationMs / 1000).toFixed(1)}s` : "");

function imageRow(i: catalogV1.Image): string[] {
  return [formatTime(i.ingestedUnixMs), i.md5, kindLabel(i.info?.kind), i.info?.format ?? "", `${i.info?.width ?? 0}x${i.info?.height ?? 0}`, duration(i), formatBytes(i.info?.bytes ?? 0), shortName(i.originalName)];
}

export async function run(args: string[]): Promise<number> {
  const { values, help } = parseCommand(
    args,
    { limit: { type: "string" }, all: { type: "boolean" }, "page-token": { type: "string" }, kind: { type: "string" }, format: { type: "string" }, "min-bytes": { type: "string" }, "max-bytes": { type: "string" }, since: { type: "string" }, until: { type: "string" } },
    { min: 0, max: 0, usage },
  );
  if (help) return printHelp(usage, summary, flags);
  const req = catalogV1.ListImagesRequest.fromPartial({
    pageSize: intFlag(values.limit, "limit", 50, 1, 1000),
    kind: kindFlag(values.kind),
    format: (values.format as string | undefined) ?? "",
    minBytes: bytesFlag(values["min-bytes"], "min-bytes") ?? 0,
    maxBytes: bytesFlag(values["max-bytes"], "max-bytes") ?? 0,
    ingestedAfterUnixMs: timeFlag(values.since, "since") ?? 0,
    ingestedBeforeUnixMs: timeFlag(values.until, "until") ?? 0,
  });
  return withConnection(values, (conn) =>
    printList(conn, values, {
      command: "booru ls",
      fetch: async (pageToken) => {
        const res = await conn.call((c) => c.listImages, { ...req, pageToken });
        return { items: res.images, next: res.nextPageToken };
      },
      key: "images",
      toJSON: catalogV1.Image.toJSON,
      headers: ["INGESTED", "MD5", "KIND", "FORMAT", "SIZE", "LENGTH", "BYTES", "NAME"],
      row: imageRow,
      empty: "no images",
    }),
  );
}
