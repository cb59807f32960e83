/** Exit codes that mean something to scripts. */
export const EXIT = {
  OK: 0,
  /** Something failed (a file did not hash, a call failed). */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 2,
  /** Bad configuration value. */
  CONFIG: 3,
  /** The thing asked for does not exist. */
  NOT_FOUND: 4,
  /** The server said no: missing or wrong token, or not allowed. */
  AUTH: 5,
  /** The server could not be reached. */
  UNAVAILABLE: 6,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
  }
}
