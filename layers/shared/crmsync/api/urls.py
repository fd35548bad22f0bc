"""The URL this API is reached at, for the addresses it hands out (CRM callbacks, the OAuth redirect,
the console's own files)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router


def base_path(router: Router) -> str:
    """The base path (the stage, `/Prod`, or empty behind a custom domain) of the current request."""
    event = router.current_event
    full_path = event.request_context.path or event.path
    return full_path[: len(full_path) - len(event.path)] if full_path.endswith(event.path) else ""


def public_base_url(router: Router) -> str:
    """Scheme, host and base path (the stage) of the current request."""
    event = router.current_event
    proto = event.headers.get("X-Forwarded-Proto") or event.headers.get("x-forwarded-proto") or "https"
    return f"{proto}://{event.request_context.domain_name}{base_path(router)}"
