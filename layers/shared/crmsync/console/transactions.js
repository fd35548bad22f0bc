// Transactions: turn on transaction sync (T1), what CRM users and roles may do (T2), and the deals
// associated with a quote, sales order, invoice or expense (W3).
import { del, get, post, put } from "./api.js";
import { button, checkbox, field, form, go, h, select, show, table } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";

const PERMISSIONS = [
  ["create_quotes", "Create quotes"], ["create_sales_orders", "Create sales orders"],
  ["view_invoices", "View invoices"], ["view_purchase_orders", "View purchase orders"],
];
const TYPES = [["quotes", "Quote"], ["sales_orders", "Sales order"], ["invoices", "Invoice"], ["expenses", "Expense"]];

export async function render(id) {
  const integration = await loadIntegration(id);
  show(
    "Transactions and users",
    tabs(integration, "/transactions"),
    h("h2", {}, "Transaction sync"),
    integration.transactions_enabled
      ? h("p", {}, "On: CRM users see this organization's quotes, sales orders, invoices and purchase orders in the CRM.")
      : h("div", {}, h("p", {}, "Off. Turn it on to show inventory transactions in the CRM's finance section."),
        h("div", { class: "actions" }, button("Turn on transaction sync", async () => {
          await post(`/integrations/${id}/transactions/enable`);
          go(`#/i/${id}/transactions`, "Transaction sync is on.");
        }))),
    h("h2", {}, "CRM users and roles"),
    grants(id),
    h("h2", {}, "Deals on a transaction"),
    dealLinks(id),
  );
}

function grants(id) {
  const rows = h("div", { class: "stack" });
  const addRow = () => {
    const n = rows.children.length + 1;
    rows.append(h("fieldset", {}, h("legend", {}, `Grant ${n}`),
      field("Who", select(`who_${n}`, [["user_id", "A CRM user (id)"], ["role_id", "Every user of a CRM role (id)"]], "user_id")),
      field("CRM user or role id", h("input", { name: `id_${n}`, required: true })),
      PERMISSIONS.map(([value, text]) => checkbox(text, { name: `perm_${n}`, value }))));
  };
  addRow();
  return form({ "aria-label": "CRM users and roles" }, [
    h("p", { class: "hint" }, "Saving replaces every grant with the ones below. Users without a grant cannot create or view transactions from the CRM."),
    rows,
    h("div", { class: "actions" },
      button("Add a grant", async () => addRow(), { kind: "secondary" }),
      h("button", { type: "submit" }, "Save grants")),
  ], async (data) => {
    const list = [...rows.children].map((_, i) => {
      const n = i + 1;
      return { [data.get(`who_${n}`)]: data.get(`id_${n}`), permissions: data.getAll(`perm_${n}`) };
    });
    await put(`/integrations/${id}/crm-permissions`, { grants: list });
    go(`#/i/${id}/transactions`, `Saved ${list.length} grant(s).`);
  });
}

function dealLinks(id) {
  const results = h("div");
  return h("div", {},
    form({ "aria-label": "Find deals" }, [
      h("p", { class: "hint" }, "Pick the transaction, then find the customer's deals in the CRM."),
      field("Transaction type", select("type", TYPES, "invoices")),
      field("Transaction id", h("input", { name: "txn_id", required: true })),
      field("Inventory customer id", h("input", { name: "customer_id" }), "Lists that customer's deals"),
      field("Or part of the deal name", h("input", { name: "q", minlength: "2" })),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Find deals")),
    ], async (data) => {
      const type = data.get("type");
      const txn = data.get("txn_id");
      const found = await get(`/integrations/${id}/deals`, { customer_id: data.get("customer_id"), q: data.get("q") });
      const path = `/integrations/${id}/transactions/${type}/${encodeURIComponent(txn)}/deal`;
      results.replaceChildren(
        table("Deals", ["Deal", "Stage", "Amount", "Account", "Action"], found.deals.map((d) => [
          d.deal_name || d.deal_id, d.stage || "", d.amount ?? "", d.account_name || "",
          button("Associate", async () => {
            const link = await put(path, { deal_id: d.deal_id });
            results.replaceChildren(h("p", {}, `Associated with ${link.deal_name || link.deal_id}.`));
          }, { kind: "secondary" }),
        ]), "No deal found."),
        h("div", { class: "actions" }, button("Remove the association", async () => {
          await del(path);
          results.replaceChildren(h("p", {}, "Association removed."));
        }, { kind: "secondary" })));
    }),
    results);
}
