/**
 * Typed configuration: every setting is an environment variable BOORU_* with a matching flag
 * (BOORU_METRICS_LISTEN = --metrics-listen); flags win over the environment. Parsed once at
 * start; a bad value stops the process with a message naming the variable and what is allowed.
 */

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Setting<T> {
  env: string;
  help: string;
  /** What is allowed, for error messages and --help. */
  allowed: string;
  default: T;
  parse(raw: string): T;
  /** A value written the way users type it (20m, 256MiB, a,b), for --help. */
  show(value: T): string;
}

/** The flag for an environment variable: BOORU_METRICS_LISTEN -> --metrics-listen. */
export function flagFor(env: string): string {
  return "--" + env.replace(/^BOORU_/, "").toLowerCase().replace(/_/g, "-");
}

function setting<T>(env: string, def: T, help: string, allowed: string, parse: (raw: string) => T | undefined, show: (value: T) => string = (v) => JSON.stringify(v)): Setting<T> {
  return {
    env,
    help,
    allowed,
    default: def,
    show,
    parse(raw) {
      const value = parse(raw.trim());
      if (value === undefined) throw new ConfigError(`invalid ${env}=${JSON.stringify(raw)}: expected ${allowed}`);
      return value;
    },
  };
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;
const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

export function parseDuration(raw: string): number | undefined {
  const m = DURATION.exec(raw);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "ms"]!);
}

/** Milliseconds in the largest unit that divides them: 1200000 -> 20m, 2500 -> 2500ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Bytes in the largest binary unit that divides them: 268435456 -> 256MiB. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

export function parseBytes(raw: string): number | undefined {
  const m = SIZE.exec(raw);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_BYTES[(m[2] ?? "b").toLowerCase()]!);
}

export const settings = {
  string(env: string, def: string, help: string): Setting<string> {
    return setting(env, def, help, "a string", (r) => r, (v) => v || '""');
  },
  /** Optional string: empty means unset. */
  optional(env: string, help: string): Setting<string | undefined> {
    return setting<string | undefined>(env, undefined, help, "a string", (r) => r || undefined);
  },
  int(env: string, def: number, help: string, min = 0, max = Number.MAX_SAFE_INTEGER): Setting<number> {
    return setting(env, def, help, `a whole number from ${min} to ${max}`, (r) => {
      const n = /^-?\d+$/.test(r) ? Number(r) : NaN;
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    });
  },
  bool(env: string, def: boolean, help: string): Setting<boolean> {
    return setting(env, def, help, "true or false", (r) =>
      ["1", "true", "yes", "on"].includes(r.toLowerCase()) ? true : ["0", "false", "no", "off"].includes(r.toLowerCase()) ? false : undefined,
    );
  },
  /** Milliseconds; accepts 250ms, 30s, 5m, 1h or a plain number of milliseconds. */
  duration(env: string, def: number, help: string): Setting<number> {
    return setting(env, def, help, "a duration such as 500ms, 30s, 5m or 1h", parseDuration, formatDuration);
  },
  /** Bytes; accepts 512, 64kb, 100MiB, 2GB. */
  bytes(env: string, def: number, help: string): Setting<number> {
    return setting(env, def, help, "a size such as 4096, 64KiB, 100MB or 2GiB", parseBytes, formatSize);
  },
  oneOf<const V extends string>(env: string, values: readonly V[], def: V, help: string): Setting<V> {
    return setting(env, def, help, `one of ${values.join(", ")}`, (r) => (values as readonly string[]).includes(r) ? (r as V) : undefined, String);
  },
  list(env: string, def: string[], help: string): Setting<string[]> {
    return setting(env, def, help, "a comma-separated list", (r) => r.split(",").map((s) => s.trim()).filter(Boolean), (v) => v.join(","));
  },
  /** HOST:PORT; port 0 picks a free port. */
  address(env: string, def: string, help: string): Setting<string> {
    return setting(env, def, help, `HOST:PORT such as ${def} or 0.0.0.0:0`, (r) => (parseHostPort(r) ? r : undefined), String);
  },
};

export function parseHostPort(addr: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

export type Spec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Reads `--name value` and `--name=value` pairs; bare `--name` means "true". */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags.set(arg, argv[++i]!);
    else flags.set(arg, "true");
  }
  return flags;
}

/**
 * Parses a spec from flags and environment. Unknown flags are an error so a typo never
 * silently runs with a default.
 */
export function parseConfig<S extends Spec>(spec: S, flags: Map<string, string>, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const known = new Set(Object.values(spec).map((s) => flagFor(s.env)));
  for (const flag of flags.keys()) {
    if (!known.has(flag)) throw new ConfigError(`unknown flag ${flag}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const flag = flagFor(s.env);
    const raw = flags.get(flag) ?? env[s.env];
    // An empty variable counts as unset (NATS_URL= in a shell or a ConfigMap).
    if (raw === undefined || raw === "") {
      out[key] = s.default;
      continue;
    }
    try {
      out[key] = s.parse(raw);
    } catch (err) {
      if (err instanceof ConfigError && flags.has(flag)) throw new ConfigError(err.message.replace(`${s.env}=`, `${flag} `));
      throw err;
    }
  }
  return out as ConfigOf<S>;
}

/** One line per setting, for --help. */
export function describeSpec(spec: Spec): string {
  return Object.values(spec)
    .map((s) => {
      const def = s.default === undefined ? "" : s.show(s.default);
      return `  ${flagFor(s.env).padEnd(28)} ${s.env.padEnd(28)} ${s.help} (${s.allowed}${def ? `; default ${def}` : ""})`;
    })
    .join("\n");
}
