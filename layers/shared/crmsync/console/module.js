// A module's configuration (the seed's "Configure Now": source, duplicates, views, field mapping,
// goods/services field) with Save and Sync / Save and Sync Later, and Check Status with live progress.
import { get, put, post } from "./api.js";
import { badge, button, field, form, go, h, onLeave, select, show, table, when } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";
import { startPreview } from "./preview.js";

const POLL_MS = 2000;
const VIEW_MODULES = { customers: ["accounts", "contacts"], vendors: ["vendors"], items: ["products"] };
const SOURCES = [["accounts", "Accounts"], ["contacts", "Contacts"], ["accounts_and_contacts", "Accounts and contacts"]];
const DUPLICATES = [
  ["skip", "Skip: leave the inventory record alone"],
  ["overwrite", "Overwrite: the CRM's values replace the inventory record's"],
  ["clone", "Clone: create another inventory record"],
];

export async function render(id, module) {
  const [integration, status] = await Promise.all([loadIntegration(id), get(`/integrations/${id}/modules/${module}`)]);
  const prefs = status.preferences;
  const [fields, views] = await Promise.all([
    get(`/integrations/${id}/modules/${module}/fields`, { crm_source: prefs.crm_source }),
    get(`/integrations/${id}/modules/${module}/views`),
  ]);
  const mapping = mappingEditor(fields, prefs.field_map);
  const statusPanel = h("section", { "aria-labelledby": "status-heading" });
  const previewPanel = h("section", { "aria-labelledby": "preview-heading" });
  show(
    `Configure ${module}`,
    tabs(integration, `/modules/${module}`),
    statusPanel,
    h("h2", {}, "Preferences"),
    form({ "aria-label": `${module} preferences` }, [
      integration.role === "primary" ? field("Direction", select("direction", [["two_way", "Two-way sync"],
        ["fetch_from_crm", "Fetch from the CRM only"]], prefs.direction)) : null,
      module === "customers" ? [
        field("Sync customers from", select("crm_source", SOURCES, prefs.crm_source || "accounts"),
          "Changing it changes the CRM fields you can map: save, and the mapping table follows."),
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "include_unassociated_contacts",
          checked: prefs.include_unassociated_contacts }), "Also sync contacts that have no account"),
      ] : null,
      h("fieldset", {}, h("legend", {}, "When a record exists on both sides (duplicates)"),
        DUPLICATES.map(([value, text]) => h("label", { class: "check" },
          h("input", { type: "radio", name: "duplicates", value, checked: prefs.duplicates === value }), text))),
      h("fieldset", {}, h("legend", {}, "CRM views: sync only the records of a view"),
        VIEW_MODULES[module].map((crmModule) => field(`${crmModule} view`, select(`view_${crmModule}`,
          [["", "All records"], ...(views.views[crmModule] || []).map((v) => [v.id, v.name])],
          prefs.views[crmModule] || "")))),
      module === "items" ? field("Goods or services field", select("product_type_field",
        [["", "None: every item is goods"], ...fields.crm_fields.filter((f) => f.mappable).map((f) => [f.api_name, `${f.label} (${f.api_name})`])],
        prefs.product_type_field || ""), "A CRM product field that says whether an item is goods or a service.") : null,
      mapping.node,
      h("div", { class: "actions" },
        h("button", { type: "submit", value: "now" }, "Save and Sync"),
        h("button", { type: "submit", value: "later", class: "secondary" }, "Save and Sync Later"),
        h("button", { type: "submit", value: "preview", class: "secondary" }, "Preview")),
      previewPanel,
    ], async (data, submitter) => {
      const body = {
        version: status.version,
        duplicates: data.get("duplicates"),
        views: Object.fromEntries(VIEW_MODULES[module].map((m) => [m, data.get(`view_${m}`) || null])),
        field_map: mapping.value(),
      };
      if (data.has("direction")) body.direction = data.get("direction");
      if (module === "customers") {
        body.crm_source = data.get("crm_source");
        body.include_unassociated_contacts = data.get("include_unassociated_contacts") === "on";
      }
      if (module === "items") body.product_type_field = data.get("product_type_field") || null;
      if (submitter.value === "preview") return startPreview(id, module, body, previewPanel);
      const timing = submitter.value;
      await put(`/integrations/${id}/modules/${module}`, body, { sync: timing });
      go(`#/i/${id}/modules/${module}`, timing === "now" ? "Saved; the sync is queued." : "Saved; it syncs on the next schedule.");
    }),
    h("h2", {}, "Fields mapped by default"),
    table("Default mapping", ["CRM field", "CRM module", "Inventory field"],
      fields.default_map.map((p) => [p.crm, p.crm_module, p.inventory])),
  );
  watch(id, module, status, statusPanel);
}

/** Rows of CRM field ↔ inventory field, from both sides' real field lists (custom fields included). */
function mappingEditor(fields, current) {
  const crmOptions = [["", "Choose a CRM field"], ...fields.crm_fields.filter((f) => f.mappable)
    .map((f) => [f.api_name, `${f.label}${f.custom ? " (custom)" : ""} · ${f.module}`])];
  const inventoryOptions = [["", "Choose an inventory field"], ...fields.inventory_fields.filter((f) => f.mappable)
    .map((f) => [f.name, `${f.label}${f.custom ? " (custom)" : ""}`])];
  const body = h("tbody");
  const addRow = (pair = { crm: "", inventory: "" }) => {
    const n = body.children.length + 1;
    const row = h("tr", {},
      h("td", {}, select("map_crm", crmOptions, pair.crm, { "aria-label": `CRM field ${n}` })),
      h("td", {}, select("map_inventory", inventoryOptions, pair.inventory, { "aria-label": `Inventory field ${n}` })),
      h("td", {}, button("Remove", async () => row.remove(), { kind: "secondary" })));
    body.append(row);
  };
  current.forEach(addRow);
  const node = h("fieldset", {}, h("legend", {}, "Your field mapping"),
    h("p", { class: "hint" }, "Each row maps a CRM field to an inventory field, on top of the default mapping. ",
      "A pair whose kinds do not match is refused when you save, with the reason."),
    h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, "Field mapping"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "CRM field"), h("th", { scope: "col" }, "Inventory field"), h("th", { scope: "col" }, "Row"))),
      body)),
    h("div", { class: "actions" }, button("Add a mapping", async () => addRow(), { kind: "secondary" })));
  const value = () => [...body.children].map((row) => ({
    crm: row.querySelector("[name=map_crm]").value, inventory: row.querySelector("[name=map_inventory]").value,
  })).filter((p) => p.crm || p.inventory);
  return { node, value };
}

/** Check Status: the module's status and its run's progress, polled while a run is queued or going. */
function watch(id, module, first, panel) {
  let timer = null;
  onLeave(() => clearTimeout(timer));
  const paint = (status) => {
    panel.replaceChildren(...[
      h("h2", { id: "status-heading" }, "Status"),
      h("p", {}, "Status: ", badge(status.status), status.paused ? [" ", badge("paused")] : null,
        status.updated_at ? ` · saved ${when(status.updated_at)}` : ""),
      status.reapply_pending ? h("p", { class: "hint" }, "Re-apply pending: the next run reads both sides once ",
        "and updates the records synced before your last change where the new preferences give other values.") : null,
      progress(status.progress, status.status),
      status.last_run_counts ? counts(status.last_run_counts) : null,
      h("div", { class: "actions" },
        button(`Sync ${module} now`, async () => {
          await post(`/integrations/${id}/sync`, { modules: [module] });
          go(`#/i/${id}/modules/${module}`, "Sync queued.");
        }, { kind: "secondary" }),
        status.last_run_id ? h("a", { href: `#/i/${id}/runs/${status.last_run_id}` }, "Details of the last run") : null,
        h("a", { href: `#/i/${id}/runs` }, "Sync history")),
    ].filter(Boolean));
    if (status.status === "queued" || status.status === "running") {
      timer = setTimeout(async () => paint(await get(`/integrations/${id}/modules/${module}`)), POLL_MS);
    }
  };
  paint(first);
}

export function progress(p, status) {
  if (!p || !(status === "queued" || status === "running")) return null;
  const total = p.total ?? null;
  const facts = [`Phase: ${p.phase}`, `${p.read} read`, `${p.written} written`];
  if (total !== null) facts.push(`of ${total}`);
  if (p.eta_seconds != null) facts.push(`about ${Math.max(1, Math.round(p.eta_seconds / 60))} min left`);
  if (p.waiting_until) facts.push(`waiting for ${p.waiting_for || "vendor budget"} until ${new Date(p.waiting_until).toLocaleString()}`);
  const budget = p.budget || {};
  const left = [["CRM", budget.crm], ["Inventory", budget.inventory]].filter(([, n]) => n != null).map(([side, n]) => `${side} ${n}`);
  return h("div", { class: "progress" },
    total ? h("progress", { max: total, value: Math.min(p.read, total), "aria-label": "Records read" }) : null,
    h("p", {}, facts.join(" · ")),
    left.length ? h("p", { class: "hint" }, `Calls left in the vendors' budgets: ${left.join(", ")}`) : null);
}

export function counts(c) {
  return table("Counts of the last run", ["Added", "Updated", "Skipped", "Conflicts", "Deleted in CRM, kept in inventory", "Failed"],
    [[c.added, c.updated, c.skipped, c.conflicts, c.deleted_in_crm_kept, c.failed]]);
}
