import { h, replace } from "./dom.js";
import type { Page } from "./main.js";

export const near: Page = (main) => {
  replace(main, h("h1", {}, "Near-duplicates"), h("p", { class: "muted" }, "Loading…"));
};
