// One integration: its state and organizations, its modules, and the actions of the seed's
// "Zoho CRM Organization" section (Instant Sync, Pause/Resume, Disable, Enable, Delete).
import { get, post, del } from "./api.js";
import { badge, button, checkbox, facts, field, form, go, h, select, show, table, when } from "./dom.js";
import { orgName } from "./integrations.js";

export const MODULES = ["customers", "vendors", "items"];
const TABS = [
  ["", "Overview"], ["/modules/customers", "Customers"], ["/modules/vendors", "Vendors"], ["/modules/items", "Items"],
  ["/runs", "Sync history"], ["/failures", "Open failures"], ["/automation", "Deal triggers"],
  ["/transactions", "Transactions and users"], ["/crm", "CRM records"], ["/notifications", "Notifications"],
];

export const loadIntegration = (id) => get(`/integrations/${id}`);

/** The integration's screens as a list of links, the current one marked. */
export function tabs(integration, current) {
  const id = integration.integration_id;
  return [
    h("p", { class: "hint" }, h("a", { href: "#/" }, "Integrations"), " › ", orgName(integration)),
    h("nav", { "aria-label": "Integration" }, h("ul", { class: "tabs" }, TABS.map(([suffix, label]) =>
      h("li", {}, h("a", { href: `#/i/${id}${suffix}`, "aria-current": suffix === current ? "page" : null }, label))))),
  ];
}

export async function render(id) {
  const integration = await loadIntegration(id);
  const live = integration.state === "active" || integration.state === "paused";
  const moduleRows = MODULES.map((name) => {
    const m = integration.modules.find((summary) => summary.module === name);
    if (!m) return [h("a", { href: `#/i/${id}/modules/${name}` }, name), "not configured", "—", "—"];
    return [
      h("a", { href: `#/i/${id}/modules/${name}` }, name),
      badge(m.status),
      m.paused ? badge("paused") : "syncs on schedule",
      m.last_run_id ? h("a", { href: `#/i/${id}/runs/${m.last_run_id}` }, "last run") : "—",
    ];
  });
  const channel = integration.notification_channel;
  show(
    orgName(integration),
    tabs(integration, ""),
    facts([
      ["State", badge(integration.state)],
      ["Role", integration.role],
      ["Direction", integration.two_way ? "two-way" : "fetch from the CRM"],
      ["Inventory organization", `${orgName(integration)} (${integration.inventory_org_id})`],
      ["CRM organization", integration.crm_org_id],
      ["Base currencies", `${integration.inventory_base_currency || "?"} (inventory), ${integration.crm_base_currency || "?"} (CRM)`],
      ["Transactions sync", integration.transactions_enabled ? "on" : "off"],
      ["CRM notifications", channel ? (channel.error ? `failing: ${channel.error}` : `on, renewed before ${when(channel.expires_at)}`) : "off"],
      ["Connected", when(integration.created_at)],
    ]),
    h("h2", {}, "Modules"),
    table("Modules", ["Module", "Status", "Schedule", "Latest"], moduleRows),
    h("h2", {}, "Actions"),
    live ? actions(integration) : inactive(integration),
  );
}

function actions(integration) {
  const id = integration.integration_id;
  const paused = integration.state === "paused";
  return [
    h("div", { class: "actions" },
      button("Sync now", async () => {
        const accepted = await post(`/integrations/${id}/sync`, {});
        go(`#/i/${id}`, `Sync queued for ${accepted.runs.map((r) => r.module).join(", ") || "no module"}.`);
      }),
      paused
        ? button("Resume", async () => { await post(`/integrations/${id}/resume`, {}); go(`#/i/${id}`, "Resumed."); }, { kind: "secondary" })
        : button("Pause", async () => { await post(`/integrations/${id}/pause`, {}); go(`#/i/${id}`, "Paused: no sync until you resume."); }, { kind: "secondary" }),
    ),
    h("h2", {}, "Disable the integration"),
    h("div", { class: "warning" }, "Disabling stops every sync and deal trigger until you enable it again. ",
      "If transaction sync is on, the custom reports, comments and attachments of transactions in the ",
      "Zoho Finance section of the CRM are deleted; your inventory transactions stay as they are."),
    form({ "aria-label": "Disable the integration" }, [
      checkbox("I understand: delete the CRM-side finance data", { name: "confirm" }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Disable")),
    ], async (data) => {
      await post(`/integrations/${id}/disable`, { confirm: data.get("confirm") === "on" });
      go(`#/i/${id}`, "Disabled.");
    }),
  ];
}

function inactive(integration) {
  const id = integration.integration_id;
  if (integration.state === "reauthorize") return reauthorize(integration);
  if (integration.state !== "disabled") return h("p", {}, `The integration is ${integration.state}.`);
  // L3: deals of the disabled period get no quote or invoice unless the admin opts in.
  return form({ "aria-label": "Enable the integration" }, [
    checkbox("Also run the deal triggers for deals created, won or lost while it was disabled",
      { name: "replay_disabled_period" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Enable"),
      h("a", { class: "button secondary", href: `#/i/${id}/delete` }, "Delete…")),
  ], async (data) => {
    await post(`/integrations/${id}/enable`, { replay_disabled_period: data.get("replay_disabled_period") === "on" });
    go(`#/i/${id}`, "Enabled.");
  });
}

// Issue 13: a vendor refused the refresh token. Nothing runs and nothing queued is lost until a new
// grant (a refresh token or a one-time code from the vendor's API console) replaces it.
function reauthorize(integration) {
  const id = integration.integration_id;
  const input = (name, label, hint) => field(label, h("input", { name, autocomplete: "off", required: true }), hint);
  return [
    h("div", { class: "warning", role: "alert" }, integration.reauthorize_reason,
      " Syncs and deal triggers wait; nothing is lost."),
    form({ "aria-label": "Re-authorize the integration" }, [
      field("Which side", select("side", [["crm", "CRM"], ["inventory", "Inventory"]], "crm")),
      input("client_id", "Client ID"),
      input("client_secret", "Client secret"),
      input("refresh_token", "Refresh token", "From the vendor's API console (Self Client)"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Re-authorize")),
    ], async (data) => {
      const grant = { client_id: data.get("client_id"), client_secret: data.get("client_secret"),
        refresh_token: data.get("refresh_token") };
      await post(`/integrations/${id}/reauthorize`, { [data.get("side")]: grant });
      go(`#/i/${id}`, "Re-authorized: syncs and deal triggers go on.");
    }),
  ];
}

export async function remove(id) {
  const integration = await loadIntegration(id);
  const name = orgName(integration);
  const typed = h("input", { name: "typed", autocomplete: "off", required: true });
  show(
    `Delete ${name}`,
    tabs(integration, "/delete"),
    h("div", { class: "warning" }, "Deleting removes the links between the records of both apps for good. It cannot be undone. ",
      "You get a notification when it is done."),
    form({ "aria-label": "Delete the integration" }, [
      h("fieldset", {}, h("legend", {}, "What becomes of the synced CRM records in inventory"),
        h("label", { class: "check" }, h("input", { type: "radio", name: "keep", value: "all", checked: true }),
          "Keep every synced record as an inventory record"),
        h("label", { class: "check" }, h("input", { type: "radio", name: "keep", value: "with_transactions" }),
          "Keep only the records that have transactions; delete the others")),
      field(`Type the organization's name (${name}) to confirm`, typed),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Delete"), h("a", { href: `#/i/${id}` }, "Cancel")),
    ], async (data) => {
      if (data.get("typed") !== name) throw new Error(`Type ${name} exactly to confirm.`);
      await del(`/integrations/${id}`, { keep: data.get("keep") });
      go("#/", `Deleting ${name}; a notification follows when it is done.`);
    }),
  );
}
