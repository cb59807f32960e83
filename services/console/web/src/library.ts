import { get, type Card } from "./api.js";
import { bytes, h, replace, thumb } from "./dom.js";
import { navigate, type Page } from "./main.js";

const FIELDS = ["kind", "format", "minBytes", "maxBytes", "from", "to", "sort"] as const;
const MB = 1024 * 1024;

export function cardLink(c: Card, extra?: Node) {
  return h(
    "li",
    { class: "card" },
    h("a", { href: `/image/${c.md5}`, "data-link": true, title: c.name }, h("img", { src: thumb(c.md5), alt: c.name || c.md5, loading: "lazy", width: 160, height: 160 }), h("span", { class: "name" }, c.name || c.md5), h("span", { class: "muted" }, `${c.format} · ${c.width}×${c.height} · ${bytes(c.bytes)}`), extra),
  );
}

export const library: Page = (main) => {
  const q = new URLSearchParams(location.search);
  const grid = h("ul", { class: "grid", "aria-label": q.get("sort") === "oldest" ? "Images, oldest first" : "Images, newest first" });
  const status = h("p", { class: "muted", role: "status" });
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  let next: string | undefined = "";
  let loading = false;
  let count = 0;

  const select = (name: string, label: string, options: [string, string][]) =>
    h("label", {}, label, h("select", { name }, options.map(([v, t]) => h("option", { value: v, selected: q.get(name) === v }, t))));
  const input = (name: string, label: string, type: string, extra: Record<string, string> = {}) => h("label", {}, label, h("input", { name, type, value: q.get(name) ?? "", ...extra }));
  const sizeOptions: [string, string][] = [["", "any"], [String(100 * 1024), "100 KiB"], [String(MB), "1 MiB"], [String(5 * MB), "5 MiB"], [String(20 * MB), "20 MiB"], [String(100 * MB), "100 MiB"]];
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the library", onsubmit: (e: Event) => {
      e.preventDefault();
      const data = new FormData(form);
      const out = new URLSearchParams();
      for (const f of FIELDS) {
        const v = String(data.get(f) ?? "").trim();
        if (v) out.set(f, v);
      }
      navigate(`/library${out.size ? `?${out}` : ""}`);
    }, onchange: () => form.requestSubmit() },
    select("kind", "Kind", [["", "all"], ["image", "images"], ["animation", "animations"], ["video", "videos"], ["archive", "archives"]]),
    input("format", "Format", "text", { placeholder: "png, jpeg…", size: "8", pattern: "[A-Za-z0-9]{1,10}" }),
    select("minBytes", "At least", sizeOptions),
    select("maxBytes", "At most", sizeOptions),
    input("from", "From", "date"),
    input("to", "To", "date"),
    select("sort", "Sort", [["", "newest first"], ["oldest", "oldest first"]]),
    h("button", { type: "submit" }, "Apply"),
  );
  replace(main, h("h1", {}, "Library"), form, status, grid, sentinel);

  const more = async () => {
    if (loading || next === undefined) return;
    loading = true;
    const params = new URLSearchParams(q);
    if (next) params.set("cursor", next);
    try {
      const page = await get<{ images: Card[]; next: string }>(`/api/images?${params}`);
      for (const c of page.images) grid.appendChild(cardLink(c));
      count += page.images.length;
      next = page.next || undefined;
      status.textContent = count === 0 ? "No images match." : `${count.toLocaleString()} shown${next ? ", scroll for more" : ""}.`;
    } catch (err) {
      status.textContent = (err as Error).message;
      status.classList.add("error");
      next = undefined;
    } finally {
      loading = false;
    }
    // A tall screen may show the sentinel before the first page fills it.
    if (next !== undefined && sentinel.getBoundingClientRect().top < innerHeight + 400) void more();
  };
  const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void more(), { rootMargin: "400px" });
  observer.observe(sentinel);
  void more();
  return () => observer.disconnect();
};
