import { serve } from "../serve.js";

export const summary = "run everything in one process with embedded defaults (in-process bus, SQLite); --data DIR, --inbox DIR";

export function run(args: string[]): Promise<number> {
  return serve(args, {
    targets: ["all"],
    banner: (app) =>
      [
        `booru is running (${app.common.natsUrl ? "NATS" : "in-process bus"}, ${app.common.mongoUrl ? "MongoDB" : `SQLite ${app.paths.sqlite}`})`,
        `  drop images into: ${app.paths.inboxes.join(", ")}`,
        `  library:          ${app.paths.library}`,
        `  duplicates:       ${app.paths.duplicates}`,
        `  rejected:         ${app.paths.rejected}`,
        `  catalog API:      ${app.common.listen.replace(/:0$/, `:${app.grpcPort}`)} (gRPC; try \`booru stats\`)`,
        `  metrics:          http://${app.common.metricsListen.replace(/:0$/, `:${app.metricsPort}`)}/metrics`,
        "Press Ctrl-C to stop.",
      ].join("\n"),
  });
}
