import { serve } from "../serve.js";

export const summary = "run modules: --target=all (default) or e.g. --target=hasher, --target=watcher,dedup";

export function run(args: string[]): Promise<number> {
  return serve(args);
}
