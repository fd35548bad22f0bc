"""The admin console: one HTML page and the scripts and styles it loads, all shipped in the layer
(`crmsync/console/`), nothing from another origin.

Public routes: the page holds no data; every API call it makes carries the admin's API key. The
console function that serves them has no permission on any AWS resource.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from crmsync.api.errors import error_response
from crmsync.api.urls import base_path

ASSET_DIR = Path(__file__).resolve().parents[2] / "console"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
ASSET_NAME = re.compile(r"^[a-z0-9-]+\.(js|css|svg)$")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = Router()


def _assets() -> dict[str, str]:
    return {p.name: p.read_text() for p in ASSET_DIR.iterdir() if ASSET_NAME.match(p.name)}


ASSETS = _assets()
INDEX = (ASSET_DIR / "index.html").read_text()


@router.get("/console", include_in_schema=False)
def console_page() -> Response[str]:
    """The page, with the stage's base path filled in so that it works at `/Prod/console` and behind a
    custom domain alike."""
    html = INDEX.replace("{{base}}", escape(base_path(router)))
    return Response(200, "text/html; charset=utf-8", html, headers=HEADERS)


@router.get("/console/<asset>", include_in_schema=False)
def console_asset(asset: str) -> Response[str]:
    body = ASSETS.get(asset)
    if body is None:
        return error_response(404, "not_found", f"The console has no file {asset!r}.")
    return Response(200, CONTENT_TYPES[Path(asset).suffix], body, headers=HEADERS)
