import { get, live, type Card } from "./api.js";
import { bytes, h, replace, svg, thumb, when } from "./dom.js";
import type { Page } from "./main.js";

interface Minute {
  startUnixMs: number;
  ingested: number;
  duplicates: number;
  nearDuplicates: number;
  rejected: number;
}
interface Status {
  backlog: number;
  inFlight: number;
  hashers: { reachable: number; total: number };
  /** The catalog's counts of the last minutes: near-duplicates come from here. */
  recent?: Minute[];
}
interface LiveEvent {
  type: string;
  at: number;
  image?: Card;
  md5?: string;
  name?: string;
  reason?: string;
  /** A near-duplicate group: the first members' names and how many there are. */
  names?: string[];
  members?: number;
}
interface Overview {
  stats: { images: number; bytes: number; duplicates: number; rejected: number };
  minutes: Minute[];
  status: Status;
  latest: LiveEvent[];
}

const SERIES = [
  ["ingested", "Ingested"],
  ["duplicates", "Duplicates"],
  ["nearDuplicates", "Near-duplicates"],
  ["rejected", "Rejected"],
] as const;
type Series = (typeof SERIES)[number][0];
const MINUTE = 60_000;

export const overview: Page = (main) => {
  let data: Overview | undefined;
  const counters = h("dl", { class: "counters" });
  const charts = h("div", { class: "charts" });
  const events = h("ol", { class: "events", "aria-label": "Latest events" });
  replace(main, h("h1", {}, "Overview"), counters, h("h2", {}, "Per minute, last hour"), charts, h("h2", {}, "Latest events"), events);

  const drawCounters = () => {
    if (!data) return;
    const { stats, status } = data;
    const items: [string, string, string][] = [
      ["images", "Images", stats.images.toLocaleString()],
      ["bytes", "Library size", bytes(stats.bytes)],
      ["duplicates", "Duplicates avoided", stats.duplicates.toLocaleString()],
      ["rejected", "Rejected", stats.rejected.toLocaleString()],
      ["backlog", "Waiting on the bus", status.backlog.toLocaleString()],
      ["in-flight", "In flight", status.inFlight.toLocaleString()],
      ["hashers", "Hashers reachable", `${status.hashers.reachable} of ${status.hashers.total}`],
    ];
    replace(counters, items.map(([key, label, value]) => h("div", { class: `counter ${key === "hashers" && status.hashers.reachable === 0 ? "bad" : ""}`, "data-counter": key }, h("dt", {}, label), h("dd", {}, value))));
  };

  const drawCharts = () => {
    if (!data) return;
    replace(charts, SERIES.map(([key, label]) => chart(data!.minutes, key, label)));
  };

  const drawEvents = () => {
    if (!data) return;
    if (data.latest.length === 0) return replace(events, h("li", { class: "muted" }, "Nothing yet: drop pictures into the inbox and they appear here."));
    replace(events, data.latest.map(eventItem));
  };

  /** The bar of the minute holding `at`, rolling the hour forward when a new minute starts. */
  const minuteOf = (at: number) => {
    const m = data!.minutes;
    const start = Math.floor(at / MINUTE) * MINUTE;
    while (m.length > 0 && m[m.length - 1]!.startUnixMs < start) {
      m.push({ startUnixMs: m[m.length - 1]!.startUnixMs + MINUTE, ingested: 0, duplicates: 0, nearDuplicates: 0, rejected: 0 });
      m.shift();
    }
    return m.find((x) => x.startUnixMs === start);
  };
  /** Counts an event into its minute. */
  const countMinute = (key: Series, at: number) => {
    const bucket = minuteOf(at);
    if (bucket) bucket[key]++;
  };

  const onLive = (type: string, payload: unknown) => {
    if (!data) return;
    if (type === "status") {
      data.status = payload as Status;
      // Near-duplicates have no event of their own per image: the catalog's count is taken as it is.
      for (const r of data.status.recent ?? []) {
        const bucket = minuteOf(r.startUnixMs);
        if (bucket) bucket.nearDuplicates = r.nearDuplicates;
      }
      drawCounters();
      drawCharts();
      return;
    }
    const e = payload as LiveEvent;
    if (e.type === "ingested" && e.image) {
      data.stats.images++;
      data.stats.bytes += e.image.bytes;
      countMinute("ingested", e.at);
    } else if (e.type === "duplicate") {
      data.stats.duplicates++;
      countMinute("duplicates", e.at);
    } else if (e.type === "rejected") {
      data.stats.rejected++;
      countMinute("rejected", e.at);
    } else if (e.type === "deleted") data.stats.images--;
    else if (e.type !== "near") return; // a group decided: nothing to show
    data.latest.unshift(e);
    data.latest.length = Math.min(data.latest.length, 30);
    drawCounters();
    drawCharts();
    drawEvents();
  };

  // Subscribe first, so nothing between the snapshot and the stream is missed for long.
  const stop = live(onLive);
  get<Overview>("/api/overview").then((d) => {
    data = d;
    drawCounters();
    drawCharts();
    drawEvents();
  }, (err: Error) => replace(main, h("h1", {}, "Overview"), h("p", { class: "error", role: "alert" }, err.message)));
  const tick = setInterval(drawEvents, 15_000);
  return () => {
    stop();
    clearInterval(tick);
  };
};

function chart(minutes: Minute[], key: Series, label: string) {
  const W = 300;
  const H = 64;
  const max = Math.max(1, ...minutes.map((m) => m[key]));
  const total = minutes.reduce((a, m) => a + m[key], 0);
  const bw = W / Math.max(1, minutes.length);
  const bars = minutes.map((m, i) => {
    const bh = (m[key] / max) * (H - 4);
    const rect = svg("rect", { x: (i * bw + 0.5).toFixed(1), y: (H - bh).toFixed(1), width: Math.max(1, bw - 1).toFixed(1), height: bh.toFixed(1) });
    rect.appendChild(svg("title", {}, document.createTextNode(`${new Date(m.startUnixMs).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${m[key]}`)));
    return rect;
  });
  const last = minutes[minutes.length - 1]?.[key] ?? 0;
  return h(
    "figure",
    { class: `chart ${key}`, "data-series": key },
    h("figcaption", {}, h("span", {}, label), h("strong", { "data-total": key }, `${total.toLocaleString()} in the hour`), h("span", { class: "muted" }, `${last} this minute, peak ${max === 1 && total === 0 ? 0 : max}/min`)),
    svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": `${label} per minute over the last hour: ${total} in total, at most ${max} in a minute` }, ...bars),
  );
}

function eventItem(e: LiveEvent) {
  const time = h("time", { datetime: new Date(e.at).toISOString() }, when(e.at));
  if (e.type === "ingested" && e.image) {
    const i = e.image;
    return h("li", { class: "ev ingested" }, h("a", { href: `/image/${i.md5}`, "data-link": true }, h("img", { src: thumb(i.md5), alt: "", width: 48, height: 48, loading: "lazy" }), h("span", { class: "what" }, "Ingested ", h("b", {}, i.name || i.md5)), h("span", { class: "muted" }, `${i.format} ${i.width}×${i.height}, ${bytes(i.bytes)}`)), time);
  }
  if (e.type === "duplicate") return h("li", { class: "ev duplicate" }, h("a", { href: `/image/${e.md5}`, "data-link": true }, h("img", { src: thumb(e.md5!), alt: "", width: 48, height: 48, loading: "lazy" }), h("span", { class: "what" }, "Duplicate ", h("b", {}, e.name ?? ""))), time);
  if (e.type === "rejected") return h("li", { class: "ev rejected" }, h("a", { href: "/rejected", "data-link": true }, h("span", { class: "icon", "aria-hidden": "true" }, "!"), h("span", { class: "what" }, "Rejected ", h("b", {}, e.name ?? ""), ` (${e.reason})`)), time);
  if (e.type === "near") {
    const more = (e.members ?? 0) - (e.names?.length ?? 0);
    return h("li", { class: "ev near" }, h("a", { href: "/near", "data-link": true }, h("img", { src: thumb(e.md5!), alt: "", width: 48, height: 48, loading: "lazy" }), h("span", { class: "what" }, "Near-duplicates ", h("b", {}, (e.names ?? []).join(", ")), more > 0 ? ` and ${more} more` : "")), time);
  }
  if (e.type === "deleted") return h("li", { class: "ev deleted" }, h("span", { class: "icon", "aria-hidden": "true" }, "×"), h("span", { class: "what" }, `Deleted ${e.md5}`), time);
  return h("li", { class: "ev" }, h("span", { class: "what" }, e.type), time);
}
