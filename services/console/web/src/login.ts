import { post, setSession, type Session } from "./api.js";
import { h, replace } from "./dom.js";
import { navigate, showWho, type Page } from "./main.js";

export const login: Page = (main) => {
  const error = h("p", { class: "error", role: "alert" });
  const token = h("input", { id: "token", name: "token", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "login", onsubmit: async (e: Event) => {
      e.preventDefault();
      error.textContent = "";
      try {
        const s = await post<Session>("/api/login", { token: token.value });
        setSession({ ...s, tokens: true });
        showWho({ ...s, tokens: true });
        const next = new URLSearchParams(location.search).get("next") ?? "/";
        navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/", true);
      } catch (err) {
        error.textContent = (err as Error).message;
      }
    } },
    h("label", { for: "token" }, "Token"),
    token,
    h("button", { type: "submit" }, "Log in"),
    error,
  );
  replace(main, h("h1", {}, "Log in"), h("p", {}, "This console needs a token from the tokens file: a read token can look, an admin token can also delete and resolve."), form);
  token.focus();
};
