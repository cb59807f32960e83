import { unary } from "@booru/catalog/client";
import type { catalogV1 } from "@booru/proto";
import { cliErrorOf, parseCommand, printHelp, withConnection, type Connection } from "../client.js";
import { formatBytes, printJson, printTable, shortName } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "near-duplicate groups (resized, re-encoded, cropped copies) and decisions on them; deciding needs an admin token";
const usage = "booru near [--rescan] | booru near keep GROUP MD5... | booru near keep-all GROUP | booru near apply [GROUP...]";
const flags = [
  "  (no action)          every group awaiting a decision, the suggested keeper first (marked *)",
  "  keep GROUP MD5...    keep these members, drop the rest (tombstoned, file to duplicates/; the keeper records their names)",
  "  keep-all GROUP       keep every member: the group's pairs are marked different for good",
  "  apply [GROUP...]     keep the suggested keeper of the given groups (all groups when none given), drop the rest",
  "  --rescan             rebuild pairs and groups from the similarity index (decisions are kept), then list",
].join("\n");

const MD5 = /^[0-9a-f]{32}$/;
/** A rescan of a million images takes minutes. */
const RESCAN_TIMEOUT_MS = 6 * 3_600_000;

async function allGroups(conn: Connection): Promise<catalogV1.NearDuplicateGroup[]> {
  const out: catalogV1.NearDuplicateGroup[] = [];
  let pageToken = "";
  do {
    const res = await conn.call((c) => c.listNearDuplicates, { pageSize: 1000, pageToken });
    out.push(...res.groups);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return out;
}

function printGroups(conn: Connection, groups: catalogV1.NearDuplicateGroup[]): number {
  if (conn.json) {
    // Distances spelled out even when 0 (proto JSON would leave them out); every group (all pages).
    printJson({ groups: groups.map((g) => ({ id: g.id, suggestedKeep: g.suggestedKeep, members: g.members.map((m) => ({ md5: m.md5, width: m.width, height: m.height, bytes: m.bytes, format: m.format, distance: m.distance })) })), nextPageToken: "" });
    return EXIT.OK;
  }
  const rows = groups.flatMap((g) => g.members.map((m, i) => [i === 0 ? g.id : "", m.md5 === g.suggestedKeep ? "*" : "", m.md5, `${m.width}x${m.height}`, m.format, formatBytes(m.bytes), String(m.distance), shortName(m.originalName)]));
  printTable(["GROUP", "KEEP", "MD5", "SIZE", "FORMAT", "BYTES", "DISTANCE", "NAME"], rows, "no near-duplicate groups");
  return EXIT.OK;
}

async function resolve(conn: Connection, req: Partial<catalogV1.ResolveNearDuplicatesRequest> & { groupId: string }): Promise<catalogV1.ResolveNearDuplicatesResponse> {
  const res = await conn.call((c) => c.resolveNearDuplicates, { keep: undefined, keepAll: undefined, applySuggestion: undefined, ...req });
  if (!conn.json) process.stdout.write(`group ${req.groupId}: kept ${res.kept.join(", ")}${res.dropped.length ? `; dropped ${res.dropped.join(", ")}` : ""}\n`);
  return res;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, { rescan: { type: "boolean" } }, { min: 0, max: 10_000, usage });
  if (help) return printHelp(usage, summary, flags);
  const [action, ...rest] = positionals;
  return withConnection(values, async (conn) => {
    switch (action) {
      case undefined: {
        if (values.rescan) {
          const r = await unary(conn.client.rescanNearDuplicates.bind(conn.client), {}, { token: conn.token, timeoutMs: RESCAN_TIMEOUT_MS }).catch((err: unknown) => Promise.reject(cliErrorOf(err, conn.server)));
          process.stderr.write(`rescanned ${r.images} images in ${(r.millis / 1000).toFixed(1)} s: ${r.pairs} similar pairs, ${r.groups} groups\n`);
        }
        return printGroups(conn, await allGroups(conn));
      }
      case "keep": {
        const [group, ...md5s] = rest;
        if (!group || md5s.length === 0) throw new CliError("usage: booru near keep GROUP MD5...", EXIT.USAGE);
        for (const m of md5s) if (!MD5.test(m.toLowerCase())) throw new CliError(`expected an md5 (32 hex digits), got ${JSON.stringify(m)}`, EXIT.USAGE);
        const res = await resolve(conn, { groupId: group, keep: { md5s: md5s.map((m) => m.toLowerCase()) } });
        if (conn.json) printJson(res);
        return EXIT.OK;
      }
      case "keep-all": {
        if (rest.length !== 1) throw new CliError("usage: booru near keep-all GROUP", EXIT.USAGE);
        const res = await resolve(conn, { groupId: rest[0]!, keepAll: true });
        if (conn.json) printJson(res);
        return EXIT.OK;
      }
      case "apply": {
        const ids = rest.length > 0 ? rest : (await allGroups(conn)).map((g) => g.id);
        const results = [];
        for (const groupId of ids) results.push({ groupId, ...(await resolve(conn, { groupId, applySuggestion: true })) });
        if (conn.json) printJson({ resolved: results });
        else if (ids.length === 0) process.stdout.write("no near-duplicate groups\n");
        return EXIT.OK;
      }
      default:
        throw new CliError(`unknown action ${JSON.stringify(action)} (usage: ${usage})`, EXIT.USAGE);
    }
  });
}
