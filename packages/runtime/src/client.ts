/**
 * The client side of the kit (`@booru/runtime/client`): what a client of a booru service needs
 * (channel options and credentials, bearer tokens, deadlines, one promisifier, the token check,
 * reason codes, setting parsers, printable text) and nothing else: no server, store or bus code,
 * so a client loads no database driver.
 */
export * from "./grpc-client.js";
export * from "./auth-client.js";
export { bearer, SCOPES, type Scope } from "./auth.js";
export * from "./reasons.js";
export { REASON_KEY, reasonOf, isTransient } from "./errors.js";
export * from "./config.js";
export * from "./text.js";
