import type { ModuleDef } from "@booru/runtime";
import { hasherModule } from "@booru/hasher";
import { catalogModule } from "@booru/catalog";
import { dedupModule } from "@booru/dedup";
import { watcherModule } from "@booru/watcher";
import { consoleModule } from "@booru/console";

/** Every module this binary can run, Loki-style: `--target=all` or any subset. */
export const allModules: ModuleDef[] = [hasherModule, catalogModule, dedupModule, watcherModule, consoleModule] as ModuleDef[];
