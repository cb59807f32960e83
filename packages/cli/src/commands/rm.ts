import { parseCommand, printHelp, withConnection } from "../client.js";
import { printJson } from "../format.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "delete an image: record, thumbnail and library file; the same bytes are not ingested again (needs an admin token)";
const usage = "booru rm MD5";

export async function run(args: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand(args, {}, { min: 1, max: 1, usage });
  if (help) return printHelp(usage, summary, "");
  const md5 = positionals[0]!.toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new CliError(`expected an md5 (32 hex digits), got ${JSON.stringify(positionals[0])}`, EXIT.USAGE);
  return withConnection(values, async (conn) => {
    const { deleted } = await conn.call((c) => c.deleteImage, { md5 });
    if (conn.json) printJson({ md5, deleted });
    else if (deleted) process.stdout.write(`deleted ${md5}\n`);
    if (!deleted) {
      if (!conn.json) process.stderr.write(`booru rm: no image ${md5}\n`);
      return EXIT.NOT_FOUND;
    }
    return EXIT.OK;
  });
}
