import { currentSession, get, post, type Card, type Match } from "./api.js";
import { bytes, h, replace, thumb, toast } from "./dom.js";
import { cardLink } from "./library.js";
import { navigate, type Page } from "./main.js";

const ALGORITHMS: [string, string][] = [["1", "pHash 64"], ["2", "dHash 64"], ["3", "pHash 256"], ["4", "blockhash 256"], ["5", "frames (animations, videos)"]];

type Json = Record<string, unknown>;

/** Rows of facts from a JSON object: nested objects flattened as "a.b". */
function rows(obj: Json, prefix = ""): [string, string][] {
  return Object.entries(obj).flatMap(([k, v]): [string, string][] => {
    if (v && typeof v === "object" && !Array.isArray(v)) return rows(v as Json, `${prefix}${k}.`);
    return [[`${prefix}${k}`, Array.isArray(v) ? v.join(", ") : String(v)]];
  });
}

/** A near-duplicate copy dropped in favour of this image (Image.absorbed, proto JSON). */
interface Absorbed {
  md5?: string;
  originalName?: string;
  sourcePath?: string;
  atUnixMs?: string | number;
}

/** The dropped copies' names and md5s; names are text nodes, never markup. */
function absorbedTable(copies: Absorbed[]) {
  return [
    h("h2", { id: "absorbed" }, "Dropped copies"),
    h(
      "table",
      { class: "facts", "aria-labelledby": "absorbed" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "MD5"), h("th", { scope: "col" }, "Dropped"))),
      h("tbody", {}, copies.map((c) => h("tr", {}, h("td", {}, c.originalName || c.sourcePath || ""), h("td", { class: "md5" }, c.md5 ?? ""), h("td", {}, c.atUnixMs ? new Date(Number(c.atUnixMs)).toLocaleString() : "")))),
    ),
  ];
}

/** How the console serves the original (GET /api/images/<md5>): shown inline, or a download only. */
interface Original {
  url: string;
  mime: string;
  inline: boolean;
}

/**
 * The original itself: a picture, or a video with its thumbnail as poster; the thumbnail when
 * the browser cannot show it (another format, or the library does not answer).
 */
function picture(md5: string, card: Card, original: Original) {
  const alt = card.name || md5;
  const fallback = () => h("img", { src: thumb(md5), alt, "data-fallback": true });
  if (!original.inline) return fallback();
  if (card.kind === "video") {
    const video = h("video", { src: original.url, poster: thumb(md5), controls: true, preload: "metadata", "aria-label": alt });
    video.addEventListener("error", () => video.replaceWith(fallback()), { once: true });
    return video;
  }
  const img = h("img", { src: original.url, alt, "data-original": true });
  img.addEventListener("error", () => img.replaceWith(fallback()), { once: true });
  return img;
}

export const image: Page = (main, [md5]) => {
  const similar = h("ul", { class: "grid small", "aria-label": "Similar images" });
  const algorithm = h("select", { name: "algorithm" }, ALGORITHMS.map(([v, t]) => h("option", { value: v }, t)));
  const similarStatus = h("p", { class: "muted", role: "status" });

  const loadSimilar = async () => {
    similarStatus.textContent = "Looking…";
    try {
      const { matches } = await get<{ matches: Match[] }>(`/api/images/${md5}/similar?algorithm=${algorithm.value}`);
      replace(similar, matches.map((m) => cardLink(m.image, h("span", { class: "distance" }, `distance ${m.distance}`))));
      similarStatus.textContent = matches.length ? `${matches.length} similar.` : "No similar images within the default distance.";
    } catch (err) {
      replace(similar);
      similarStatus.textContent = (err as Error).message;
    }
  };
  algorithm.addEventListener("change", () => void loadSimilar());

  get<{ image: Json; card: Card; original: Original }>(`/api/images/${md5}`).then(({ image, card, original }) => {
    const { absorbed, ...rest } = image;
    const facts = rows(rest).filter(([k]) => !k.startsWith("hashes.frameSignature"));
    const copies = (absorbed ?? []) as Absorbed[];
    const names: [string, string][] = [["Original name", card.name], ["Path in the inbox", String(image.sourcePath ?? "")], ["In the library", String(image.libraryPath ?? "")]];
    const session = currentSession();
    const del = h("button", { type: "button", class: "danger", disabled: !session.admin, "aria-describedby": session.admin ? undefined : "delete-why", onclick: async () => {
      if (!confirm(`Delete ${card.name || md5} from the library? The same bytes will not be ingested again.`)) return;
      try {
        await post(`/api/images/${md5}/delete`, {});
        toast("Deleted.");
        navigate("/library");
      } catch (err) {
        toast(`Not deleted: ${(err as Error).message}`);
      }
    } }, "Delete…");
    replace(
      main,
      h("h1", { class: "title" }, card.name || md5),
      h(
        "div",
        { class: "image-page" },
        h(
          "figure",
          { class: "picture" },
          picture(md5!, card, original),
          h("figcaption", { class: "muted" }, `${card.kind}, ${card.format}, ${card.width}×${card.height}, ${bytes(card.bytes)}, ingested ${new Date(card.ingested).toLocaleString()} · `, h("a", { href: original.url, download: card.name || true }, original.inline ? "Download the original" : "Download the original (not shown here)")),
        ),
        h(
          "section",
          { "aria-labelledby": "facts" },
          h("h2", { id: "facts" }, "File names"),
          h("table", { class: "facts" }, h("tbody", {}, names.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
          copies.length ? absorbedTable(copies) : null,
          h("h2", {}, "Hashes and facts"),
          h("table", { class: "facts" }, h("tbody", {}, facts.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))),
          h("p", {}, del, session.admin ? null : h("span", { id: "delete-why", class: "muted" }, " Deleting needs an admin token.")),
        ),
      ),
      h("h2", {}, "Similar images"),
      h("label", {}, "Compare by ", algorithm),
      similarStatus,
      similar,
    );
    void loadSimilar();
  }, (err: Error) => replace(main, h("h1", {}, "Image"), h("p", { class: "error", role: "alert" }, err.message)));
};
