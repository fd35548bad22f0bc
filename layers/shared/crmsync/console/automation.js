// Deal triggers (Change Preference): what a deal's stage does in inventory, and the activity log.
import { get, put } from "./api.js";
import { field, form, go, h, pagedTable, select, show, when } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";

const CHOICES = [
  ["on_deal_created", "When a deal is created", [["none", "Do nothing"], ["create_quote", "Create a quote"]]],
  ["on_deal_won", "When a deal is won (Closed Won)", [["none", "Do nothing"], ["create_invoice", "Create an invoice"]]],
  ["on_deal_lost", "When a deal is lost (Closed Lost)", [["none", "Do nothing"], ["void_invoice", "Void its invoice"]]],
];

function summary(details) {
  return Object.entries(details || {}).filter(([, v]) => v !== null && typeof v !== "object")
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`).join(" · ");
}

export async function render(id) {
  const integration = await loadIntegration(id);
  const log = pagedTable("Activity, newest first", ["When", "What", "Result", "Reason", "Details"], async (cursor) => {
    const page = await get(`/integrations/${id}/activity`, { limit: 50, cursor });
    return {
      next: page.next_cursor,
      rows: page.entries.map((a) => [when(a.at), a.kind.replaceAll("_", " "), a.result, a.reason || "", summary(a.details)]),
    };
  }, "No trigger has run yet.");
  show(
    "Deal triggers",
    tabs(integration, "/automation"),
    integration.role !== "primary" ? h("p", { class: "warning" }, "Deal triggers run on the primary integration only.") : null,
    form({ "aria-label": "Deal triggers" }, [
      CHOICES.map(([name, label, options]) => field(label, select(name, options, integration.automation[name] || "none"))),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Save preferences")),
    ], async (data) => {
      await put(`/integrations/${id}/automation`, Object.fromEntries(CHOICES.map(([name]) => [name, data.get(name)])));
      go(`#/i/${id}/automation`, "Deal trigger preferences saved.");
    }),
    h("h2", {}, "Activity log"),
    log.node,
  );
  await log.start();
}
