"""The URL this API is reached at, for the addresses it hands out (CRM callbacks, the OAuth redirect)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router


def public_base_url(router: Router) -> str:
    """Scheme, host and base path (the stage) of the current request."""
    event = router.current_event
    context = event.request_context
    proto = event.headers.get("X-Forwarded-Proto") or event.headers.get("x-forwarded-proto") or "https"
    full_path = context.path or event.path
    prefix = full_path[: len(full_path) - len(event.path)] if full_path.endswith(event.path) else ""
    return f"{proto}://{context.domain_name}{prefix}"
