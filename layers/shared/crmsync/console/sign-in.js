// Sign-in with an API key (crmsync keys create): kept in sessionStorage for this tab only.
import { get, session } from "./api.js";
import { field, form, h, show } from "./dom.js";

const RETURN = "crmsync.returnTo";

export function rememberDestination(path) {
  sessionStorage.setItem(RETURN, path);
}

export function render() {
  const key = h("input", { name: "key", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  show(
    "Sign in",
    h("p", {}, "Sign in with an API key of your tenant. The console keeps it in this browser tab only, until you sign out or close the tab."),
    form({ "aria-label": "Sign in" }, [
      field("API key", key, "Your operator creates one with: crmsync keys create"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
    ], async (data) => {
      session.signIn(String(data.get("key")).trim());
      try {
        await get("/integrations", { limit: 1 });
      } catch (error) {
        session.signOut();
        if (error.status === 401 || error.status === 403) throw new Error("That API key was refused. Check it and try again.");
        throw error;
      }
      const destination = sessionStorage.getItem(RETURN) || "/";
      sessionStorage.removeItem(RETURN);
      location.hash = "#" + destination;
    }),
  );
}
