import { describe, expect, it } from "vitest";
import { ConfigError, describeSpec, flagFor, parseBytes, parseConfig, parseDuration, parseFlags, settings } from "./config.js";

const spec = {
  listen: settings.address("BOORU_LISTEN", "127.0.0.1:50051", "gRPC address"),
  settle: settings.duration("BOORU_SETTLE", 2000, "settle time"),
  maxBytes: settings.bytes("BOORU_MAX_BYTES", 1024, "limit"),
  policy: settings.oneOf("BOORU_DUPLICATES_POLICY", ["move", "delete", "keep"], "move", "what to do"),
  workers: settings.int("BOORU_WORKERS", 2, "workers", 1, 64),
};

describe("config", () => {
  it("derives flags from variable names", () => {
    expect(flagFor("BOORU_METRICS_LISTEN")).toBe("--metrics-listen");
    expect(flagFor("NATS_URL")).toBe("--nats-url");
  });

  it("uses defaults, the environment, and lets flags win", () => {
    const env = { BOORU_SETTLE: "5s", BOORU_WORKERS: "4", BOORU_DUPLICATES_POLICY: "keep" };
    const c = parseConfig(spec, parseFlags(["--workers", "8", "--max-bytes=100MiB"]), env);
    expect(c).toEqual({ listen: "127.0.0.1:50051", settle: 5000, maxBytes: 100 * 1024 * 1024, policy: "keep", workers: 8 });
  });

  it("fails fast naming the variable and what is allowed", () => {
    expect(() => parseConfig(spec, new Map(), { BOORU_SETTLE: "soon" })).toThrow(
      new ConfigError('invalid BOORU_SETTLE="soon": expected a duration such as 500ms, 30s, 5m or 1h'),
    );
    expect(() => parseConfig(spec, new Map(), { BOORU_DUPLICATES_POLICY: "shred" })).toThrow(/BOORU_DUPLICATES_POLICY.*one of move, delete, keep/);
    expect(() => parseConfig(spec, new Map(), { BOORU_WORKERS: "0" })).toThrow(/BOORU_WORKERS.*from 1 to 64/);
    expect(() => parseConfig(spec, parseFlags(["--listen", "nowhere"]), {})).toThrow(/invalid --listen "nowhere": expected HOST:PORT/);
  });

  it("rejects unknown flags instead of running with defaults", () => {
    expect(() => parseConfig(spec, parseFlags(["--listn", "1.2.3.4:5"]), {})).toThrow("unknown flag --listn");
  });

  it("--help writes defaults the way users type them, and each address example is its own default", () => {
    const help = describeSpec({
      window: settings.duration("BOORU_DUPLICATE_WINDOW", 20 * 60_000, "window"),
      delay: settings.duration("BOORU_SHUTDOWN_DELAY", 0, "delay"),
      settle: settings.duration("BOORU_SETTLE_TIME", 2500, "settle"),
      max: settings.bytes("BOORU_HASHER_MAX_BYTES", 256 * 1024 ** 2, "max"),
      metrics: settings.address("BOORU_METRICS_LISTEN", "127.0.0.1:9464", "metrics"),
      ignore: settings.list("BOORU_IGNORE", ["*.part", ".*"], "ignore"),
      data: settings.string("BOORU_DATA", "./data", "data"),
    });
    expect(help).toContain("default 20m)");
    expect(help).toContain("default 0)");
    expect(help).toContain("default 2500ms)");
    expect(help).toContain("default 256MiB)");
    expect(help).toContain("(HOST:PORT such as 127.0.0.1:9464 or 0.0.0.0:0; default 127.0.0.1:9464)");
    expect(help).toContain("default *.part,.*)");
    expect(help).toContain("default ./data)");
    expect(help).not.toContain("50051");
    // What help prints parses back to the default.
    expect([parseDuration("20m"), parseDuration("2500ms"), parseBytes("256MiB")]).toEqual([20 * 60_000, 2500, 256 * 1024 ** 2]);
  });
});
