import http from "node:http";
import { Registry, collectDefaultMetrics } from "prom-client";
import type { Logger } from "./logger.js";
import { parseHostPort } from "./config.js";
import { listenError } from "./grpc-host.js";

export { Registry };

/** One registry per process with the default process metrics (RSS, event loop lag, GC). */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Serves GET /metrics; returns where it listens and a function that closes the server. */
export async function serveMetrics(registry: Registry, listen: string, log: Logger): Promise<{ port: number; address: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
      registry
        .metrics()
        .then((body) => res.writeHead(200, { "content-type": registry.contentType }).end(body))
        .catch((err) => {
          log.error({ err }, "metrics failed");
          res.writeHead(500).end();
        });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
  });
  const { host, port } = parseHostPort(listen)!;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(listenError(listen, "--metrics-listen (BOORU_METRICS_LISTEN)", err)));
    server.listen(port, host.replace(/^\[|\]$/g, ""), () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    address: `${host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
