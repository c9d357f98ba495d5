// Sign-in and sign-out.

import { statusRegion } from "./actions.js";
import { api, session } from "./api.js";
import { h, fill, errorBox } from "./dom.js";
import { link, go } from "./routes.js";

export async function signInPage(r) {
  const ended = r.params.get("ended") === "1";
  const signedOut = r.params.get("out") === "1";
  const status = statusRegion();
  const secret = h("input", { id: "secret", name: "secret", type: "password", autocomplete: "current-password", required: true });
  const label = h("label", { for: "secret" }, "Admin token");
  let kind = "token";
  const choices = session.passwordSignIn
    ? h("fieldset", null, h("legend", { class: "visually-hidden" }, "Sign in with"),
      ["token", "password"].map((value) => h("label", null,
        h("input", {
          type: "radio", name: "kind", value, checked: value === "password",
          onchange: () => { kind = value; label.textContent = value === "token" ? "Admin token" : "Console password"; },
        }), value === "token" ? " Admin token" : " Console password")))
    : null;
  if (session.passwordSignIn) {
    kind = "password";
    label.textContent = "Console password";
  }
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      fill(status);
      try {
        const answer = await api("POST", "/console/session", { [kind]: secret.value });
        session.csrf = answer.csrf_token;
        go(r.params.get("then") || "#/pipelines");
      } catch (error) {
        fill(status, errorBox(error.status === 401 ? `Not signed in: ${error.message}.` : error.message));
        secret.select();
      } finally {
        submit.disabled = false;
      }
    },
  }, choices, label, secret, submit, status);
  return [h("section", { class: "card signin" },
    h("h1", null, "Sign in"),
    ended ? h("p", { class: "notice" }, "Your session ended; sign in again.") : null,
    signedOut ? h("p", { class: "success" }, "Signed out.") : null,
    h("p", { class: "muted" }, "Use the admin token: admin.token in the configuration, or the token peoplesyncd wrote to its runtime file (", h("code", null, "<state_database>.peoplesyncd.json"), ")",
      session.passwordSignIn ? ", or the console password." : "."),
    form)];
}

export async function signOut() {
  try {
    await api("DELETE", "/console/session");
  } finally {
    session.csrf = null;
    go(link("/signin", { out: "1" }));
  }
}
