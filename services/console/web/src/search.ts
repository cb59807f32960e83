import { post, type Match } from "./api.js";
import { bytes, h, replace } from "./dom.js";
import { cardLink } from "./library.js";
import type { Page } from "./main.js";

interface Result {
  hashes: Record<string, string>;
  info: { format?: string; width?: number; height?: number };
  matches: Match[];
}

export const search: Page = (main) => {
  const results = h("ul", { class: "grid", "aria-label": "Similar images" });
  const status = h("p", { role: "status", class: "muted" }, "");
  const preview = h("div", { class: "preview" });
  let url: string | undefined;

  const run = async (file: File) => {
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(file);
    replace(preview, h("img", { src: url, alt: `Your picture: ${file.name}` }), h("span", { class: "muted" }, `${file.name}, ${bytes(file.size)}`));
    replace(results);
    status.textContent = "Hashing…";
    try {
      const r = await post<Result>("/api/search", file, { "x-file-name": encodeURIComponent(file.name) });
      replace(results, r.matches.map((m) => cardLink(m.image, h("span", { class: "distance" }, `distance ${m.distance}`))));
      status.textContent = r.matches.length ? `${r.matches.length} similar images (pHash ${r.hashes.phash64}).` : `No similar images (pHash ${r.hashes.phash64}).`;
    } catch (err) {
      status.textContent = (err as Error).message;
    }
  };

  const input = h("input", { type: "file", id: "search-file", accept: "image/*,video/*,.zip,.cbz", class: "sr-only", onchange: () => input.files?.[0] && void run(input.files[0]) });
  const zone = h(
    "div",
    { class: "drop", "data-drop": true },
    h("p", {}, "Drop a picture here, or ", h("label", { for: "search-file", class: "button" }, "choose a file"), "."),
    h("p", { class: "muted" }, "It is hashed by the hasher and compared with the library; it is not stored."),
    input,
  );
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const file = e.dataTransfer?.files[0];
    if (file) void run(file);
  });
  replace(main, h("h1", {}, "Search by picture"), zone, preview, status, results);
  return () => url && URL.revokeObjectURL(url);
};
