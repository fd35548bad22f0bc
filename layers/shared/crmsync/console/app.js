// The console's router: each screen is a hash route (#/i/<id>/modules/customers), so the browser's
// back button, bookmarks and the OAuth callback's redirect all land on the right screen.
import { session } from "./api.js";
import { button, errorBox, flash, h, leave, show, takeMessage } from "./dom.js";
import * as automation from "./automation.js";
import * as connect from "./connect.js";
import * as crm from "./crm.js";
import * as failures from "./failures.js";
import * as history from "./history.js";
import * as integration from "./integration.js";
import * as integrations from "./integrations.js";
import * as moduleScreen from "./module.js";
import * as notifications from "./notifications.js";
import * as signIn from "./sign-in.js";
import * as transactions from "./transactions.js";

const ID = "([A-Za-z0-9_-]+)";
const ROUTES = [
  [/^\/$/, integrations.render],
  [/^\/connect$/, connect.start],
  [/^\/connect\/([0-9a-f]{32})$/, connect.pick],
  [new RegExp(`^/i/${ID}$`), integration.render],
  [new RegExp(`^/i/${ID}/modules/(customers|vendors|items)$`), moduleScreen.render],
  [new RegExp(`^/i/${ID}/runs$`), history.list],
  [new RegExp(`^/i/${ID}/runs/${ID}$`), history.detail],
  [new RegExp(`^/i/${ID}/failures$`), failures.render],
  [new RegExp(`^/i/${ID}/automation$`), automation.render],
  [new RegExp(`^/i/${ID}/transactions$`), transactions.render],
  [new RegExp(`^/i/${ID}/crm$`), crm.render],
  [new RegExp(`^/i/${ID}/notifications$`), notifications.render],
  [new RegExp(`^/i/${ID}/delete$`), integration.remove],
];

function nav() {
  const holder = document.getElementById("nav");
  holder.replaceChildren();
  if (!session.key) return;
  holder.append(
    h("a", { href: "#/" }, "Integrations"),
    button("Sign out", async () => {
      session.signOut();
      location.hash = "#/sign-in";
    }),
  );
}

async function route() {
  leave();
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/";
  nav();
  if (path === "/sign-in") return signIn.render();
  if (!session.key) {
    signIn.rememberDestination(path);
    location.hash = "#/sign-in";
    return;
  }
  for (const [pattern, render] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    try {
      await render(...match.slice(1).map(decodeURIComponent));
    } catch (error) {
      if (session.key) show("Something went wrong", errorBox(error), h("p", {}, h("a", { href: "#/" }, "Back to the integrations")));
    }
    return;
  }
  show("Not found", h("p", {}, "The console has no such page. ", h("a", { href: "#/" }, "Go to the integrations.")));
}

window.addEventListener("hashchange", async () => {
  const message = takeMessage();
  flash("");
  await route();
  flash(message); // once the screen it speaks of is on the page
});
route();
