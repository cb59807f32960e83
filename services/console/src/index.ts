import type { AddressInfo } from "node:net";
import { ConfigError, defineModule, isLoopbackAddress, listenError, parseHostPort } from "@booru/runtime";
import { Live } from "./live.js";
import { grpcPipeline } from "./pipeline.js";
import { createConsoleServer } from "./server.js";
import { consoleSettings } from "./settings.js";
import { StaticFiles } from "./static.js";

export { consoleSettings } from "./settings.js";
export { createConsoleServer, type ConsoleOptions } from "./server.js";
export { grpcPipeline, type Pipeline } from "./pipeline.js";
export { Live } from "./live.js";
export { StaticFiles } from "./static.js";

/** The web console: serves the page and its API on BOORU_WEB_LISTEN, talks to the catalog, the hasher and the library over gRPC. */
export const consoleModule = defineModule({
  name: "console",
  deps: ["catalog", "hasher", "dedup"],
  settings: consoleSettings,
  // Its users need a token beyond loopback, like the gRPC APIs' callers.
  servesApi: true,
  async start(ctx, config) {
    const tokens = Boolean(ctx.common.tokensFile);
    const loopback = isLoopbackAddress(config.webListen);
    if (!loopback && !tokens) {
      throw new ConfigError(`refusing to serve the web console on ${config.webListen} without tokens: anyone who can reach it could delete images; set BOORU_TOKENS_FILE (--tokens-file) or listen on 127.0.0.1`);
    }
    const assets = new StaticFiles();
    const catalog = ctx.peer("catalog");
    const hasher = ctx.peer("hasher");
    const pipeline = grpcPipeline({ catalog, hasher, library: ctx.peer("library"), caFile: ctx.common.tlsCa });
    const live = new Live(pipeline, ctx.log);
    const tls = ctx.common.tlsCert && ctx.common.tlsKey ? { cert: ctx.common.tlsCert, key: ctx.common.tlsKey } : undefined;
    const server = createConsoleServer({
      pipeline,
      live,
      assets,
      log: ctx.log,
      tokens,
      ownToken: catalog.token,
      loopbackOnly: loopback,
      maxUploadBytes: config.webMaxUpload,
      sessionTtlMs: config.webSessionTtl,
      tls,
    });
    const { host, port } = parseHostPort(config.webListen)!;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(listenError(config.webListen, "--web-listen (BOORU_WEB_LISTEN)", err)));
      server.listen(port, host.replace(/^\[|\]$/g, ""), () => resolve());
    });
    live.start();
    const address = `${host}:${(server.address() as AddressInfo).port}`;
    const url = `${tls ? "https" : "http"}://${address}/`;
    ctx.announce("web", url);
    ctx.log.info({ url, tokens }, "web console listening");
    return {
      async stop() {
        live.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        pipeline.close();
      },
    };
  },
});
