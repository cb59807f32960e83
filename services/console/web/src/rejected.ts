import { get } from "./api.js";
import { h, replace, when } from "./dom.js";
import type { Page } from "./main.js";

interface Rejection {
  id: string;
  name: string;
  reason: string;
  message: string;
  at: number;
  attempts: number;
}

export const rejected: Page = (main) => {
  const body = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  const moreButton = h("button", { type: "button", hidden: true }, "More");
  let next = "";
  const load = async () => {
    try {
      const page = await get<{ rejected: Rejection[]; next: string }>(`/api/rejected${next ? `?cursor=${encodeURIComponent(next)}` : ""}`);
      for (const r of page.rejected) body.appendChild(row(r));
      next = page.next;
      moreButton.hidden = !next;
      status.textContent = body.children.length === 0 ? "Nothing was rejected." : "";
    } catch (err) {
      status.textContent = (err as Error).message;
    }
  };
  moreButton.addEventListener("click", () => void load());
  replace(
    main,
    h("h1", {}, "Rejected"),
    h("p", { class: "muted" }, "Files the pipeline could not ingest. They stay in rejected/ with the reason beside them."),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "File"), h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), body),
    status,
    moreButton,
  );
  void load();
};

function row(r: Rejection): HTMLTableRowElement {
  return h("tr", { "data-id": r.id }, h("td", { class: "name" }, r.name), h("td", {}, h("b", {}, r.reason), h("div", { class: "muted" }, r.message)), h("td", {}, h("time", { datetime: new Date(r.at).toISOString() }, when(r.at))), h("td", {}));
}
