"""Deal-stage automation (A1-A5): a quote when a deal is created, an invoice when it is won, the
invoice voided when it is lost; and the scheduled catch-up of lost notifications.

- `triggers`: one deal event, re-read (notifications carry ids only), against the integration's
  preferences; which actions it asks for is decided in `crmsync.domain.automation`.
- `create_once`: an inventory document made exactly once (shared with the CRM-side transactions).
- `catch_up`: the scheduled re-read of deals changed since the last check.
- The CRM's stage settings are cached by `crmsync.services.stage_rules`, owned by the container.

Choices:
- **Won again after lost: a new invoice.** When the trigger voided the invoice of the deal's
  latest win, the next win is a new generation with its own invoice and reference number
  (`CRM-DEAL-{deal_id}-INV-{generation}`). If the invoice was not voided (sent, paid, or lost
  voiding is off), winning again adds nothing: the deal still has its live invoice.
- **Lost** voids only the invoice the trigger made for the latest win, and only while it is a
  draft: sent (or later) is final (A3), and payments block voiding.
- **Activity log (A4)**: an entry for every run in which a trigger fired and did something,
  or deliberately did not (A2 no account/contact, A3 sent, payments, unknown stage, failures).
  Runs that find their work already done (duplicate deliveries, the catch-up re-reading a deal)
  and lost deals without a trigger-made invoice are only logged, so the audit trail is not
  flooded with repeats.
- A paused, disabled or deleted integration drops deal events; a secondary integration never
  automates (logged as skipped). The catch-up covers an integration again once it is active.
"""
