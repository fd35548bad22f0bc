// The integrations list: one row per inventory organization connected to a CRM organization.
import { all } from "./api.js";
import { badge, h, show, table } from "./dom.js";

export function orgName(integration) {
  return (integration.inventory_org && integration.inventory_org.name) || `Organization ${integration.inventory_org_id}`;
}

export async function render() {
  const items = await all("/integrations", "integrations", { limit: 100 });
  const rows = items.map((i) => [
    h("a", { href: `#/i/${i.integration_id}` }, orgName(i)),
    h("code", {}, i.crm_org_id),
    i.role,
    badge(i.state),
    i.modules.map((m) => h("div", {}, `${m.module}: `, badge(m.paused ? "paused" : m.status))),
  ]);
  show(
    "Integrations",
    h("p", {}, "Each integration keeps one Zoho Inventory organization and one Zoho CRM organization in step."),
    h("div", { class: "actions" }, h("a", { class: "button", href: "#/connect" }, "Connect with Zoho")),
    table("Your integrations", ["Inventory organization", "CRM organization", "Role", "State", "Modules"], rows,
      "No integration yet. Connect with Zoho to start."),
  );
}
