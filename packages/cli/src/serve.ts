import { appSpec, parseFlags, startApp, describeSpec, type App } from "@booru/runtime";
import { booru } from "@booru/app";
import { EXIT } from "./exit.js";

export interface ServeOptions {
  /** Overrides BOORU_TARGET (`booru up` runs every module). */
  targets?: string[];
  banner?: (app: App) => string;
  /** Settings the command does not take, left out of --help. */
  omit?: string[];
}

/**
 * Starts modules in this process and keeps it running until SIGTERM/SIGINT: the first signal
 * stops gracefully within BOORU_SHUTDOWN_TIMEOUT (exit 0), a second one or the deadline
 * forces exit 1.
 */
export async function serve(args: string[], opts: ServeOptions = {}): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    const spec = appSpec(booru);
    const shown = Object.fromEntries(Object.entries(spec).filter(([, s]) => !opts.omit?.includes(s.env)));
    process.stdout.write(`flags (each also an environment variable):\n${describeSpec(shown)}\n`);
    return EXIT.OK;
  }
  const app = await startApp(booru, { flags: parseFlags(args), targets: opts.targets });
  if (opts.banner) process.stdout.write(opts.banner(app) + "\n");
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        app.log.warn({ signal }, "second signal: exiting now");
        process.exit(EXIT.FAILURE);
      }
      app.log.info({ signal }, "shutting down");
      // The stop steps each respect the deadline; this is the backstop if one hangs anyway.
      setTimeout(() => {
        app.log.error("shutdown deadline passed: exiting now");
        process.exit(EXIT.FAILURE);
      }, app.common.shutdownDelay + app.common.shutdownTimeout + 2_000).unref();
      app.stop().then(
        () => resolve(EXIT.OK),
        (err) => {
          app.log.error({ err }, "shutdown failed");
          resolve(EXIT.FAILURE);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
