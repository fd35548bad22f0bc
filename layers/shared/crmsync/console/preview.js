// Preview (B2): what the module's next sync would do with the preferences on screen, with nothing
// written or saved: its counts by outcome, then its records (both sides' names, the fields that change).
import { get, post } from "./api.js";
import { h, onLeave, pagedTable, table } from "./dom.js";

const POLL_MS = 2000;
const OUTCOMES = [
  ["created_in_inventory", "Created in inventory"], ["created_in_crm", "Created in the CRM"],
  ["linked", "Linked as duplicates"], ["overwritten", "Overwritten"], ["skipped", "Skipped"],
  ["conflicts", "In conflict"], ["refused", "Refused"],
];
const LABEL = Object.fromEntries(OUTCOMES);

/** Starts a preview of `body` (the form's preferences) and shows it in `panel` until it has finished. */
export async function startPreview(id, module, body, panel) {
  const run = await post(`/integrations/${id}/modules/${module}/preview`, body);
  let timer = null;
  onLeave(() => clearTimeout(timer));
  const heading = h("h2", { id: "preview-heading" }, "Preview");
  const paint = async (current) => {
    if (current.status === "queued" || current.status === "running") {
      panel.replaceChildren(heading, h("p", { role: "status" }, `Planning the ${module} sync; nothing is written…`));
      timer = setTimeout(async () => paint(await get(`/integrations/${id}/runs/${run.run_id}`)), POLL_MS);
      return;
    }
    if (current.status === "failed") {
      panel.replaceChildren(heading, h("p", { role: "alert" }, `The preview stopped: ${current.error}`));
      return;
    }
    const section = previewSection(id, current);
    panel.replaceChildren(heading,
      h("p", { class: "hint" }, "What a sync with these preferences would do now. Nothing was written to either ",
        "system and the preferences were not saved."),
      section.node);
    await section.start();
  };
  await paint(run);
}

/** A finished preview run's counts by outcome and its records, a page at a time (`start()` loads them). */
export function previewSection(id, run) {
  const records = pagedTable("Records of the preview (up to 50 of each outcome)",
    ["Outcome", "Read in", "CRM name", "Inventory name", "Would change", "Reason"], async (cursor) => {
      const page = await get(`/integrations/${id}/runs/${run.run_id}/preview`, { limit: 50, cursor });
      return {
        next: page.next_cursor,
        rows: page.samples.map((s) => [LABEL[s.outcome], s.side, s.crm_name || "–", s.inventory_name || "–",
          s.changes.map((c) => `${c.side}: ${c.field}`).join(", ") || "–", s.reason || ""]),
      };
    }, "The sync would have nothing to do.");
  const node = h("div", {},
    table("Preview counts", ["Outcome", "Records"], OUTCOMES.map(([key, text]) => [text, run.preview[key]])),
    records.node);
  return { node, start: records.start };
}
