/**
 * What every client command shares: --server, --token, --json, --help; one connection to the
 * catalog; gRPC failures turned into one clear line and an exit code that means something.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { status, type ServiceError } from "@grpc/grpc-js";
import { createCatalogClient, unary, type CatalogClient, type UnaryMethod } from "@booru/catalog/client";
import { CliError, EXIT } from "./exit.js";
import { printable, printJson, printTable } from "./format.js";

export const DEFAULT_SERVER = "127.0.0.1:50051";

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON: Options = {
  server: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export const COMMON_HELP = [
  `  --server HOST:PORT   catalog address (env BOORU_SERVER; default ${DEFAULT_SERVER})`,
  "  --token TOKEN        bearer token (env BOORU_TOKEN)",
  "  --json               one JSON document on stdout instead of a table",
].join("\n");

export interface Connection {
  server: string;
  json: boolean;
  client: CatalogClient;
  /** Calls a unary method of the catalog, mapping failures to CliError. */
  call<Req, Res>(method: (client: CatalogClient) => UnaryMethod<Req, Res>, req: Req): Promise<Res>;
  token?: string;
  close(): void;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/** Parses the command line; unknown flags and missing values are usage errors. */
export function parseCommand(args: string[], options: Options, positionals: { min: number; max: number; usage: string }): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's message continues with advice about "--"; the first sentence is the news.
    throw new CliError(`${(err as Error).message.split(/\.\s|\n/)[0]} (usage: ${positionals.usage})`, EXIT.USAGE);
  }
  const values = parsed.values as Parsed["values"];
  const help = Boolean(values.help);
  if (!help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    throw new CliError(`usage: ${positionals.usage}`, EXIT.USAGE);
  }
  return { values, positionals: parsed.positionals, help };
}

export function connect(values: Parsed["values"], env: NodeJS.ProcessEnv = process.env): Connection {
  const server = (values.server as string | undefined) || env.BOORU_SERVER || DEFAULT_SERVER;
  // A token pasted with a trailing space or newline is still the token.
  const token = ((values.token as string | undefined) || env.BOORU_TOKEN || "").trim() || undefined;
  const client = createCatalogClient(server, { caFile: env.BOORU_TLS_CA || undefined });
  return {
    server,
    token,
    json: Boolean(values.json),
    client,
    call: (method, req) => unary(method(client).bind(client), req, { token }).catch((err: unknown) => Promise.reject(cliErrorOf(err, server))),
    close: () => client.close(),
  };
}

/** One line and an exit code for a failed call to the catalog (or, for `booru hash --server`, a hasher). */
export function cliErrorOf(err: unknown, server: string, what = "catalog"): CliError {
  const e = err as Partial<ServiceError>;
  const details = e.details || e.message || String(err);
  switch (e.code) {
    case status.UNAVAILABLE: {
      // grpc-js nests the socket error in a long sentence; the socket error is what helps.
      const cause = /(connect \w+|getaddrinfo \w+|ECONN\w+|TLS\b[^.]*)/.exec(details)?.[1] ?? details;
      return new CliError(`cannot reach the ${what} at ${server}: ${cause} (is \`booru up\` running? set --server or BOORU_SERVER)`, EXIT.UNAVAILABLE);
    }
    case status.DEADLINE_EXCEEDED:
      return new CliError(`the ${what} at ${server} did not answer in time`, EXIT.UNAVAILABLE);
    case status.UNAUTHENTICATED:
      return new CliError(`not authenticated: ${details} (set --token or BOORU_TOKEN)`, EXIT.AUTH);
    case status.PERMISSION_DENIED:
      return new CliError(`not allowed: ${details}`, EXIT.AUTH);
    case status.NOT_FOUND:
      return new CliError(details, EXIT.NOT_FOUND);
    case status.INVALID_ARGUMENT:
      return new CliError(details, EXIT.USAGE);
    default:
      return new CliError(`the ${what} failed: ${details}`, EXIT.FAILURE);
  }
}

/** Runs a command body with a connection that is always closed. */
export async function withConnection<T>(values: Parsed["values"], fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = connect(values);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** One page, or with `all` every page from `first` on. */
async function collectPages<T>(fetch: (token: string) => Promise<{ items: T[]; next: string }>, first: string, all: boolean): Promise<{ items: T[]; next: string }> {
  const items: T[] = [];
  let token = first;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    token = page.next;
  } while (all && token);
  return { items, next: token };
}

/** Prints the help of a command; returns the exit code. */
export function printHelp(usage: string, summary: string, flags: string, common = COMMON_HELP): number {
  process.stdout.write(`usage: ${usage}\n\n${summary}\n\nflags:\n${flags ? flags + "\n" : ""}${common}\n`);
  return EXIT.OK;
}

function moreHint(command: string, next: string): void {
  if (next) process.stderr.write(printable(`more: ${command} --page-token ${next} (or --all)`) + "\n");
}

export interface ListOutput<T> {
  command: string;
  fetch(pageToken: string): Promise<{ items: T[]; next: string }>;
  /** With --json: `{ <key>: [...], nextPageToken }`, the list there even when empty. */
  key: string;
  toJSON(item: T): unknown;
  headers: string[];
  row(item: T): string[];
  empty: string;
}

/** The shape of every listing command: one page or --all, then JSON or a table and a hint for the next page. */
export async function printList<T>(conn: Connection, values: Parsed["values"], out: ListOutput<T>): Promise<number> {
  const { items, next } = await collectPages(out.fetch, (values["page-token"] as string | undefined) ?? "", Boolean(values.all));
  if (conn.json) {
    printJson({ [out.key]: items.map(out.toJSON), nextPageToken: next });
    return EXIT.OK;
  }
  printTable(out.headers, items.map(out.row), out.empty);
  moreHint(out.command, next);
  return EXIT.OK;
}
