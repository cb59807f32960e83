import { currentSession, loadSession, post, setSession, type Session } from "./api.js";
import { h, replace, toast } from "./dom.js";

/** A page renders into <main>; what it returns is called when the user leaves it. */
export type Page = (main: HTMLElement, params: string[]) => (() => void) | void;

const ROUTES: [RegExp, string, () => Promise<Page>][] = [
  [/^\/$/, "Overview", async () => (await import("./overview.js")).overview],
  [/^\/library$/, "Library", async () => (await import("./library.js")).library],
  [/^\/image\/([0-9a-f]{32})$/, "Image", async () => (await import("./image.js")).image],
  [/^\/near$/, "Near-duplicates", async () => (await import("./near.js")).near],
  [/^\/rejected$/, "Rejected", async () => (await import("./rejected.js")).rejected],
  [/^\/search$/, "Search by picture", async () => (await import("./search.js")).search],
  [/^\/login$/, "Log in", async () => (await import("./login.js")).login],
];

let leave: (() => void) | void;

export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

async function render(): Promise<void> {
  const main = document.getElementById("main")!;
  const path = location.pathname;
  const s = currentSession();
  if (s.tokens && !s.authenticated && path !== "/login") return navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
  const route = ROUTES.find(([re]) => re.test(path));
  leave?.();
  leave = undefined;
  if (!route) {
    document.title = "Not found · booru";
    replace(main, h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "/", "data-link": true }, "Back to the overview")));
    return;
  }
  document.title = `${route[1]} · booru`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("#nav a")) {
    const here = a.pathname === path || (a.pathname === "/library" && path.startsWith("/image/"));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const page = await route[2]();
  main.replaceChildren();
  leave = page(main, route[0].exec(path)!.slice(1));
}

export function showWho(s: Session): void {
  const who = document.getElementById("who")!;
  if (!s.tokens) return replace(who, h("span", { class: "muted" }, "no tokens: local access"));
  if (!s.authenticated) return replace(who);
  replace(
    who,
    h("span", {}, s.name ?? "", s.admin ? " (admin)" : " (read only)"),
    h("button", { class: "link", type: "button", onclick: async () => {
      await post("/api/logout", {});
      setSession({ tokens: true, authenticated: false });
      showWho(currentSession());
      navigate("/login");
    } }, "Log out"),
  );
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest?.("a[data-link]") as HTMLAnchorElement | null;
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
addEventListener("popstate", () => void render());
addEventListener("booru:login", () => {
  setSession({ ...currentSession(), authenticated: false });
  navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});

loadSession()
  .then((s) => {
    showWho(s);
    return render();
  })
  .catch((err: Error) => toast(`The console does not answer: ${err.message}`));
