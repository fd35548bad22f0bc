// Open failures: records that failed to sync and have not synced since, with Retry for one or all.
import { get, post } from "./api.js";
import { button, go, h, pagedTable, select, show, when } from "./dom.js";
import { loadIntegration, MODULES, tabs } from "./integration.js";

function outcome(result) {
  if (result.runs) return "Retry queued as a run; see the sync history.";
  return `Retried ${result.retried}: ${result.synced} synced, ${result.still_failing.length} still failing.`;
}

export async function render(id) {
  const integration = await loadIntegration(id);
  const filter = new URLSearchParams(location.hash.split("?")[1] || "").get("module") || "";
  const here = `#/i/${id}/failures${filter ? "?module=" + filter : ""}`;
  const retry = (body) => async () => go(here, outcome(await post(`/integrations/${id}/failures/retry`, body)));
  const failures = pagedTable("Records that have not synced",
    ["Module", "Side", "Record", "Reason", "First seen", "Last seen", "Action"],
    async (cursor) => {
      const page = await get(`/integrations/${id}/failures`, { module: filter, limit: 50, cursor });
      return {
        next: page.next_cursor,
        rows: page.failures.map((f) => [f.module, f.side, h("code", {}, f.record_id), f.reason, when(f.first_seen),
          when(f.last_seen), button("Retry", retry({ module: f.module, side: f.side, record_id: f.record_id }), { kind: "secondary" })]),
      };
    }, "No open failure: every record synced.");
  const picker = select("module", [["", "All modules"], ...MODULES.map((m) => [m, m])], filter, { "aria-label": "Module" });
  picker.addEventListener("change", () => { location.hash = `#/i/${id}/failures${picker.value ? "?module=" + picker.value : ""}`; });
  show(
    "Open failures",
    tabs(integration, "/failures"),
    h("p", {}, "A record stays here until it syncs. Fix the cause (the reason says what), then retry."),
    h("div", { class: "actions" }, picker, button("Retry all", retry(filter ? { module: filter } : {}))),
    failures.node,
  );
  await failures.start();
}
