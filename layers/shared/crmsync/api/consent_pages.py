"""What the OAuth callback answers with: plain HTML pages, no script, nothing from another origin;
on success, a redirect to the console's organization picker."""

from __future__ import annotations

from html import escape

from aws_lambda_powertools.event_handler import Response

from crmsync.domain.consent import ConnectAttempt

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
TITLES = {
    "denied": "Access was declined",
    "bad_state": "This answer cannot be used",
    "used_state": "This consent was used already",
    "no_code": "No authorization code came back",
    "code_refused": "The authorization code was refused",
    "accounts_error": "Zoho's accounts server failed",
    "orgs_unreadable": "The organizations could not be read",
    "not_set_up": "This deployment cannot connect yet",
}


def page(status: int, title: str, body_html: str) -> Response[str]:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
        f"<body><main><h1>{escape(title)}</h1>{body_html}</main></body></html>"
    )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=html,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def failure_page(reason: str, message: str, console_url: str) -> Response[str]:
    """What went wrong and what to do; nothing was stored."""
    return page(
        400,
        TITLES.get(reason, "The connect did not go through"),
        f'<p>{escape(message)}</p><p><a href="{escape(console_url)}#/connect">Connect again</a></p>',
    )


def consented_redirect(attempt: ConnectAttempt, console_url: str) -> Response[str]:
    """The grant is stored: on to the console's "Select Organization" step for this connect."""
    target = f"{console_url}#/connect/{attempt.connect_id}"
    response = page(303, "Consent received", f'<p><a href="{escape(target)}">Pick the organizations</a></p>')
    response.headers["Location"] = target
    return response
