// Preloaded with --import by loadedBy(): installs loaded-hooks.mjs.
import { register } from "node:module";

register(new URL("./loaded-hooks.mjs", import.meta.url));
