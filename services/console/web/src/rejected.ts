import { currentSession, get, post } from "./api.js";
import { h, replace, toast, when } from "./dom.js";
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
    h("p", { class: "muted" }, "Files the pipeline could not ingest. They stay in rejected/ with the reason beside them: fix one there and retry it, or delete it (admin)."),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "File"), h("th", { scope: "col" }, "Reason"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), body),
    status,
    moreButton,
  );
  void load();
};

function row(r: Rejection): HTMLTableRowElement {
  const admin = currentSession().admin === true;
  const act = async (what: "retry" | "delete") => {
    if (what === "delete" && !confirm(`Delete ${r.name} and its reason from rejected/? This cannot be undone.`)) return;
    try {
      await post(`/api/rejected/${encodeURIComponent(r.id)}/${what}`, {});
      tr.remove();
      toast(what === "retry" ? `${r.name} is back in the inbox.` : `${r.name} deleted.`);
    } catch (err) {
      toast(`Not done: ${(err as Error).message}`);
    }
  };
  const tr = h(
    "tr",
    { "data-id": r.id },
    h("td", { class: "name" }, r.name),
    h("td", {}, h("b", {}, r.reason), h("div", { class: "muted" }, r.message)),
    h("td", {}, h("time", { datetime: new Date(r.at).toISOString() }, when(r.at))),
    h(
      "td",
      { class: "actions" },
      h("button", { type: "button", disabled: !admin, "aria-label": `Retry ${r.name}`, onclick: () => void act("retry") }, "Retry"),
      h("button", { type: "button", class: "danger", disabled: !admin, "aria-label": `Delete ${r.name}`, onclick: () => void act("delete") }, "Delete…"),
    ),
  );
  return tr;
}
