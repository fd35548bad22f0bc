// Notifications: what the integration told the admin (deletion done, channel renewals, refusals).
import { get } from "./api.js";
import { pagedTable, show, when } from "./dom.js";
import { loadIntegration, tabs } from "./integration.js";

export async function render(id) {
  const integration = await loadIntegration(id);
  const listing = pagedTable("Notifications, newest first", ["When", "What", "Message"], async (cursor) => {
    const page = await get(`/integrations/${id}/notifications`, { limit: 50, cursor });
    return { next: page.next_cursor, rows: page.notifications.map((n) => [when(n.at), n.kind.replaceAll("_", " "), n.message]) };
  }, "No notification.");
  show("Notifications", tabs(integration, "/notifications"), listing.node);
  await listing.start();
}
