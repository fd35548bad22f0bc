// CRM records seen from inventory: the customers and vendors that came from the CRM (W1) with
// Re-sync (S4), and searching the CRM to import an account, contact or vendor (W2).
import { get, post } from "./api.js";
import { button, field, form, go, h, pagedTable, select, show, table } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";

export async function render(id) {
  const integration = await loadIntegration(id);
  const type = new URLSearchParams(location.hash.split("?")[1] || "").get("type") || "customer";
  const listing = pagedTable(`${type === "vendor" ? "Vendors" : "Customers"} from the CRM`,
    ["Name", "CRM module", "CRM id", "Origin", "Action"], async (cursor) => {
      const page = await get(`/integrations/${id}/contacts`, { source: "crm", type, limit: 50, cursor });
      return {
        next: page.next_cursor,
        rows: page.contacts.map((c) => [c.name, c.crm_module, h("code", {}, c.crm_id), c.origin || "",
          button("Re-sync", async () => {
            const contact = await post(`/integrations/${id}/contacts/${c.inventory_contact_id}/resync`);
            go(`#/i/${id}/crm?type=${type}`, `Re-synced ${contact.contact_name} from the CRM.`);
          }, { kind: "secondary" })]),
      };
    }, "None yet.");
  const picker = select("type", [["customer", "Customers"], ["vendor", "Vendors"]], type, { "aria-label": "Show" });
  picker.addEventListener("change", () => { location.hash = `#/i/${id}/crm?type=${picker.value}`; });
  show(
    "CRM records",
    tabs(integration, "/crm"),
    h("h2", {}, "Customers and vendors from the CRM"),
    h("div", { class: "actions" }, picker),
    listing.node,
    h("h2", {}, "Search the CRM and import"),
    search(id),
  );
  await listing.start();
}

function search(id) {
  const results = h("div");
  return h("div", {},
    form({ "aria-label": "Search the CRM" }, [
      field("Look in", select("module", [["accounts", "Accounts"], ["contacts", "Contacts"], ["vendors", "Vendors"]], "accounts")),
      field("Name", h("input", { name: "name" }), "Accounts (with their contacts) and vendors by name"),
      field("First name", h("input", { name: "first_name" }), "Contacts"),
      field("Last name", h("input", { name: "last_name" }), "Contacts"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Search")),
    ], async (data) => {
      const module = data.get("module");
      const found = await get(`/integrations/${id}/crm/search`, {
        module, name: data.get("name"), first_name: data.get("first_name"), last_name: data.get("last_name"),
      });
      // An accounts search lists each account followed by its contacts (W2).
      results.replaceChildren(table("Found in the CRM", ["Name", "CRM module", "CRM id", "In inventory", "Action"], found.records.map((r) => [
        r.account_crm_id && module === "accounts" ? `${r.name} (contact of the account above)` : r.name,
        r.module, h("code", {}, r.crm_id), r.inventory_contact_id ? "yes" : "no",
        r.inventory_contact_id ? "" : button("Import", async () => {
          const imported = await post(`/integrations/${id}/crm/import`, { module: r.module, crm_id: r.crm_id });
          results.replaceChildren(h("p", {}, `Imported ${imported.contact.contact_name} into inventory.`));
        }, { kind: "secondary" }),
      ]), "Nothing matches."));
    }),
    results);
}
