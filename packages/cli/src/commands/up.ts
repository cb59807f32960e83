import { parseFlags, parseHostPort, type App } from "@booru/runtime";
import { serve } from "../serve.js";
import { DEFAULT_SERVER } from "../client.js";
import { CliError, EXIT } from "../exit.js";

export const summary = "run everything in one process with embedded defaults (in-process bus, SQLite); --data DIR, --inbox DIR";

export function run(args: string[]): Promise<number> {
  refuseTarget(parseFlags(args).get("--target"), process.env.BOORU_TARGET);
  return serve(args, { targets: ["all"], banner, omit: ["BOORU_TARGET"] });
}

/** `up` is every module; a subset is `booru run --target=...`, never silently ignored. */
function refuseTarget(flag: string | undefined, env: string | undefined): void {
  const [where, value] = flag !== undefined ? ["--target", flag] : env && env.trim() !== "all" ? ["BOORU_TARGET", env] : [];
  if (!where) return;
  throw new CliError(`${where} ${JSON.stringify(value)} is not for up, which always runs every module; to run some of them use \`booru run --target=${value}\``, EXIT.USAGE);
}

/** The address the CLI dials on this machine: a wildcard listen address becomes loopback. */
function dialable(address: string): string {
  const { host, port } = parseHostPort(address)!;
  return `${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${port}`;
}

/** How to reach this server with the CLI: the variables to set (none with the defaults). */
function tryCommand(app: App): string {
  const server = dialable(app.grpcAddress);
  const vars = [...(server === DEFAULT_SERVER ? [] : [`BOORU_SERVER=${server}`]), ...(app.tokens ? ["BOORU_TOKEN=<a token from the tokens file>"] : [])];
  return [...vars, "npx booru stats"].join(" ");
}

function banner(app: App): string {
  return [
    `booru is running (${app.common.natsUrl ? "NATS" : "in-process bus"}, ${app.common.mongoUrl ? "MongoDB" : `SQLite ${app.paths.sqlite}`})`,
    `  drop images into: ${app.paths.inboxes.join(", ")}`,
    `  library:          ${app.paths.library}`,
    `  duplicates:       ${app.paths.duplicates}`,
    `  rejected:         ${app.paths.rejected}`,
    `  catalog API:      ${app.grpcAddress} (gRPC${app.tokens ? ", tokens required" : ""})`,
    ...(app.announced.web ? [`  web console:      ${app.announced.web}${app.tokens ? " (log in with a token)" : ""}`] : []),
    `  metrics:          http://${app.common.metricsListen.replace(/:0$/, `:${app.metricsPort}`)}/metrics`,
    `  try:              ${tryCommand(app)}`,
    "Press Ctrl-C to stop.",
  ].join("\n");
}
