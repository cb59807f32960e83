import { currentSession, get, post } from "./api.js";
import { bytes, h, replace, thumb, toast } from "./dom.js";
import type { Page } from "./main.js";

interface Member {
  md5: string;
  name: string;
  width: number;
  height: number;
  bytes: number;
  format: string;
  ingestedUnixMs: number;
  distance: number;
}
interface Group {
  id: string;
  suggestedKeeper: string;
  members: Member[];
}

/** How a member differs from the suggested keeper, in words (empty when it does not). */
export function differences(m: Member, keeper: Member): { pixels?: string; bytes?: string; format?: string } {
  const out: { pixels?: string; bytes?: string; format?: string } = {};
  const px = m.width * m.height;
  const kpx = keeper.width * keeper.height;
  if (px !== kpx) out.pixels = `${Math.round((100 * px) / kpx)}% of the keeper's pixels`;
  if (m.bytes !== keeper.bytes) out.bytes = `${m.bytes > keeper.bytes ? "+" : "−"}${bytes(Math.abs(m.bytes - keeper.bytes))}`;
  if (m.format !== keeper.format) out.format = `${m.format}, keeper ${keeper.format}`;
  return out;
}

export const near: Page = (main) => {
  const admin = currentSession().admin === true;
  let groups: Group[] = [];
  let next = "";
  let at = 0;
  const keep = new Set<string>();
  const view = h("section", { "aria-live": "polite" });
  const applyButton = h("button", { type: "button", disabled: true, onclick: () => void applyAll() }, "Apply the suggestion to all groups…");
  const counter = h("p", { class: "muted" });

  const load = async () => {
    const page = await get<{ groups: Group[]; next: string }>(`/api/near${next ? `?cursor=${encodeURIComponent(next)}` : ""}`);
    groups.push(...page.groups);
    next = page.next;
  };

  const show = () => {
    const g = groups[at];
    counter.textContent = groups.length ? `Group ${at + 1} of ${groups.length}${next ? "+" : ""}` : "";
    applyButton.disabled = !admin || groups.length === 0;
    if (!g) return replace(view, h("p", {}, "No near-duplicates wait for a decision."));
    keep.clear();
    keep.add(g.suggestedKeeper);
    const keeper = g.members.find((m) => m.md5 === g.suggestedKeeper) ?? g.members[0]!;
    replace(
      view,
      h("div", { class: "group", "data-group": g.id }, h("h2", {}, `${g.members.length} pictures that look alike`), h("ul", { class: "members" }, g.members.map((m, i) => member(m, i, keeper))), actions()),
    );
  };

  const member = (m: Member, i: number, keeper: Member) => {
    const d = differences(m, keeper);
    const box = h("input", { type: "checkbox", checked: keep.has(m.md5), disabled: !admin, onchange: () => {
      if (box.checked) keep.add(m.md5);
      else keep.delete(m.md5);
      li.classList.toggle("keep", box.checked);
    } });
    const fact = (label: string, value: string, diff?: string) => h("li", {}, `${label}: `, value, diff ? h("span", { class: "diff" }, ` (${diff})`) : null);
    const li = h(
      "li",
      { class: `member ${keep.has(m.md5) ? "keep" : ""}`, "data-md5": m.md5 },
      h("a", { href: `/image/${m.md5}`, "data-link": true }, h("img", { src: thumb(m.md5), alt: m.name || m.md5, width: 220, height: 220 })),
      h("label", {}, box, `Keep ${i + 1}`, m.md5 === keeper.md5 ? " (suggested)" : ""),
      h("div", { class: "name" }, m.name || m.md5),
      h("ul", { class: "plain" }, fact("Pixels", `${m.width}×${m.height}`, d.pixels), fact("Size", bytes(m.bytes), d.bytes), fact("Format", m.format, d.format), fact("Distance", String(m.distance))),
    );
    return li;
  };

  const resolve = async (decision: object, what: string) => {
    const g = groups[at];
    if (!g || !admin) return;
    try {
      await post(`/api/near/${g.id}/resolve`, decision);
      toast(what);
      groups.splice(at, 1);
      if (at >= groups.length && next) await load();
      at = Math.min(at, Math.max(0, groups.length - 1));
      show();
    } catch (err) {
      toast(`Not resolved: ${(err as Error).message}`);
    }
  };
  const keepSelected = () => (keep.size ? resolve({ keep: [...keep] }, `Kept ${keep.size}.`) : toast("Select at least one picture to keep."));
  const keepAll = () => resolve({ keepAll: true }, "Kept all: they are different pictures.");
  const nextGroup = async () => {
    if (at + 1 >= groups.length && next) await load();
    if (at + 1 < groups.length) at++;
    show();
  };
  const applyAll = async () => {
    if (!confirm("Apply the suggestion to every group: keep each suggested picture and delete the others?")) return;
    try {
      const r = await post<{ resolved: number }>("/api/near/apply-suggestions", {});
      toast(`Applied the suggestion to ${r.resolved} groups.`);
      groups = [];
      next = "";
      at = 0;
      await load();
      show();
    } catch (err) {
      toast(`Not applied: ${(err as Error).message}`);
    }
  };

  const actions = () =>
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", disabled: !admin, onclick: () => void keepSelected(), "aria-keyshortcuts": "k" }, "Keep selected ", h("kbd", {}, "k")),
      h("button", { type: "button", disabled: !admin, onclick: () => void keepAll(), "aria-keyshortcuts": "a" }, "Keep all ", h("kbd", {}, "a")),
      h("button", { type: "button", onclick: () => void nextGroup(), "aria-keyshortcuts": "n" }, "Next ", h("kbd", {}, "n")),
      admin ? null : h("span", { class: "muted" }, " Deciding needs an admin token."),
    );

  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.target as Element).matches?.("input[type=text], input[type=password], textarea")) return;
    if (e.key === "k") void keepSelected();
    else if (e.key === "a") void keepAll();
    else if (e.key === "n") void nextGroup();
    else if (/^[1-9]$/.test(e.key)) (view.querySelectorAll<HTMLInputElement>(".member input[type=checkbox]")[Number(e.key) - 1])?.click();
    else return;
    e.preventDefault();
  };
  document.addEventListener("keydown", onKey);

  replace(
    main,
    h("h1", {}, "Near-duplicates"),
    h("p", { class: "keys muted" }, "The suggested picture to keep is selected. Keys: ", h("kbd", {}, "1"), "–", h("kbd", {}, "9"), " select, ", h("kbd", {}, "k"), " keep selected, ", h("kbd", {}, "a"), " keep all, ", h("kbd", {}, "n"), " next."),
    h("p", {}, applyButton),
    counter,
    view,
  );
  load().then(show, (err: Error) => replace(view, h("p", { class: "muted", role: "status" }, `${err.message[0]?.toUpperCase() ?? ""}${err.message.slice(1)}.`)));
  return () => document.removeEventListener("keydown", onKey);
};
