/**
 * The `booru` command. Each sub-command lives in commands/<name>.ts and exports
 * `run(args): Promise<number>` returning the exit code.
 */
import { ConfigError } from "@booru/runtime/client";
import { EXIT, CliError } from "./exit.js";
import { printable } from "./format.js";

type Command = { run(args: string[]): Promise<number>; summary: string };

const commands: Record<string, () => Promise<Command>> = {
  up: () => import("./commands/up.js"),
  run: () => import("./commands/run.js"),
  hash: () => import("./commands/hash.js"),
  ls: () => import("./commands/ls.js"),
  show: () => import("./commands/show.js"),
  similar: () => import("./commands/similar.js"),
  dupes: () => import("./commands/dupes.js"),
  rejected: () => import("./commands/rejected.js"),
  stats: () => import("./commands/stats.js"),
  rm: () => import("./commands/rm.js"),
  near: () => import("./commands/near.js"),
  watch: () => import("./commands/watch.js"),
  export: () => import("./commands/export.js"),
  import: () => import("./commands/import.js"),
};

async function usage(): Promise<string> {
  const lines = ["usage: booru <command> [flags]", "", "commands:"];
  for (const [name, load] of Object.entries(commands)) lines.push(`  ${name.padEnd(9)} ${(await load()).summary}`);
  lines.push("", "Run `booru <command> --help` for its flags.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write((await usage()) + "\n");
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`booru: unknown command ${JSON.stringify(name)}\n${await usage()}\n`);
    return EXIT.USAGE;
  }
  try {
    return await (await load()).run(args);
  } catch (err) {
    // One line each; messages may quote paths and server answers, so they are made printable.
    if (err instanceof ConfigError) {
      process.stderr.write(`booru ${name}: ${printable(err.message)}\n`);
      return EXIT.CONFIG;
    }
    if (err instanceof CliError) {
      process.stderr.write(`booru ${name}: ${printable(err.message)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`booru ${name}: ${printable((err as Error)?.message ?? String(err))}\n`);
    return EXIT.FAILURE;
  }
}
