import { CliError } from "../exit.js";

export const summary = "(not built yet)";

export async function run(_args: string[]): Promise<number> {
  throw new CliError("booru hash is not built yet");
}
