// Show Sync History: runs newest first, and one run with its counts and failures (a page at a time).
import { get } from "./api.js";
import { badge, facts, h, pagedTable, show, when } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";
import { counts, progress } from "./module.js";
import { previewSection } from "./preview.js";

export async function list(id) {
  const integration = await loadIntegration(id);
  const runs = pagedTable("Runs, newest first",
    ["Started", "Module", "Trigger", "Status", "Added", "Updated", "Skipped", "Conflicts", "Deleted in CRM, kept in inventory", "Failed"],
    async (cursor) => {
      const page = await get(`/integrations/${id}/runs`, { limit: 20, cursor });
      return {
        next: page.next_cursor,
        rows: page.runs.map((run) => {
          const c = run.counts;
          return [h("a", { href: `#/i/${id}/runs/${run.run_id}` }, when(run.started_at)), run.module, run.trigger,
            badge(run.status), c.added, c.updated, c.skipped, c.conflicts, c.deleted_in_crm_kept, c.failed];
        }),
      };
    }, "No run yet.");
  show("Sync history", tabs(integration, "/runs"), runs.node);
  await runs.start();
}

export async function detail(id, runId) {
  const [integration, run] = await Promise.all([loadIntegration(id), get(`/integrations/${id}/runs/${runId}`)]);
  const failures = pagedTable(`${run.failure_count} records failed`, ["Side", "Record", "Reason"], async (cursor) => {
    const page = await get(`/integrations/${id}/runs/${runId}/failures`, { limit: 50, cursor });
    return { next: page.next_cursor, rows: page.failures.map((f) => [f.side, h("code", {}, f.record_id), f.reason]) };
  }, "No record failed in this run.");
  const listing = run.preview ? previewSection(id, run) : failures;  // a preview (B2) stores no failures
  show(
    `Run of ${run.module}`,
    tabs(integration, "/runs"),
    facts([
      ["Status", badge(run.status)], ["Trigger", run.trigger], ["Started", when(run.started_at)], ["Ended", when(run.ended_at)],
      run.error ? ["Error", run.error] : null,
    ]),
    progress(run.progress, run.status),
    counts(run.counts),
    h("h2", {}, run.preview ? "What the previewed sync would do" : "Failures"),
    listing.node,
    h("p", {}, h("a", { href: `#/i/${id}/failures` }, "Open failures of the integration, with retry")),
  );
  await listing.start();
}
