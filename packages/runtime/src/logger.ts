import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs with the service name; errors go in as `{ err }` so pino serialises the stack. */
export function createLogger(service: string, level = process.env.BOORU_LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens must never reach a log line, whatever a caller passes in.
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "headers.authorization"], censor: "[redacted]" },
  });
}
