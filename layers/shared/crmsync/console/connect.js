// The connect wizard: data centre → Zoho's consent page → pick one organization of each side →
// the vendor's prerequisites run; a refusal shows its reason.
import { get, post } from "./api.js";
import { facts, field, form, go, h, select, show } from "./dom.js";

const DATA_CENTRES = [
  ["com", "United States (zoho.com)"],
  ["eu", "Europe (zoho.eu)"],
  ["in", "India (zoho.in)"],
  ["com.au", "Australia (zoho.com.au)"],
  ["jp", "Japan (zoho.jp)"],
  ["ca", "Canada (zohocloud.ca)"],
  ["sa", "Saudi Arabia (zoho.sa)"],
  ["com.cn", "China (zoho.com.cn)"],
];

export function start() {
  const custom = h("details", {},
    h("summary", {}, "Custom endpoints (vendor sandboxes, only where the deployment allows them)"),
    h("div", { class: "stack" },
      field("CRM base URL", h("input", { name: "crm_base_url", type: "url", placeholder: "http://127.0.0.1:8081" })),
      field("Inventory base URL", h("input", { name: "inventory_base_url", type: "url", placeholder: "http://127.0.0.1:8082" }))));
  show(
    "Connect with Zoho",
    h("p", {}, "You will sign in to Zoho and allow crmsync to read and write your CRM and Inventory data. ",
      "One consent covers both apps. You then pick the two organizations to connect."),
    form({ "aria-label": "Connect with Zoho" }, [
      field("Data centre of your Zoho account", select("data_center", DATA_CENTRES, "com")),
      field("Role", select("role", [["primary", "Primary: two-way sync, transactions and deal triggers"],
        ["secondary", "Secondary: fetch from the CRM only"]], "primary"),
      "A CRM organization has one primary inventory organization."),
      custom,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Continue to Zoho"), h("a", { href: "#/" }, "Cancel")),
    ], async (data) => {
      const body = { data_center: data.get("data_center"), role: data.get("role") };
      for (const name of ["crm_base_url", "inventory_base_url"]) if (data.get(name)) body[name] = data.get(name);
      const started = await post("/connect", body);
      location.assign(started.authorize_url);
    }),
  );
}

export async function pick(connectId) {
  const attempt = await get(`/connect/${connectId}`);
  if (attempt.status === "completed" && attempt.integration_id) {
    location.hash = `#/i/${attempt.integration_id}`;
    return;
  }
  if (attempt.status !== "consented") {
    const why = attempt.status === "failed" ? `The consent did not go through (${attempt.failure}).` : "Zoho has not answered this consent yet.";
    show("Connect with Zoho", h("div", { class: "error", role: "alert" }, why),
      h("p", {}, h("a", { href: "#/connect" }, "Start again")));
    return;
  }
  const options = (orgs) => orgs.map((o) => [o.id, `${o.name} (${o.id})`]);
  show(
    "Select the organizations",
    h("p", {}, "Zoho granted access. Pick the CRM organization and the inventory organization to keep in step. ",
      "The vendor's prerequisites are checked when you connect."),
    facts([["Data centre", attempt.data_center], ["Role", attempt.role], ["Finish before", new Date(attempt.expires_at).toLocaleString()]]),
    form({ "aria-label": "Select the organizations" }, [
      field("CRM organization", select("crm_org_id", options(attempt.crm_orgs), attempt.crm_orgs[0]?.id, { required: true })),
      field("Inventory organization", select("inventory_organization_id", options(attempt.inventory_orgs), attempt.inventory_orgs[0]?.id, { required: true })),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Connect"), h("a", { href: "#/" }, "Cancel")),
    ], async (data) => {
      const integration = await post(`/connect/${connectId}/complete`, {
        crm_org_id: data.get("crm_org_id"),
        inventory_organization_id: data.get("inventory_organization_id"),
      });
      go(`#/i/${integration.integration_id}`, "Connected. Configure each module, then Save and Sync.");
    }),
  );
}
