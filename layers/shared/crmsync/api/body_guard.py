"""What every route refuses before a body reaches a model: a body that is not JSON (415), JSON nested
deeper than any of our bodies (400), and JSON that is not an object (400; every body is an object).

Run once per request by `api.app.resolve`, so no router repeats it; JSON that does not parse is left
to the resolver, which answers 400 `malformed_json`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from crmsync.api.errors import error_response

MAX_DEPTH = 32  # our deepest body (module preferences with a field map) is 4 levels


def refuse_body(event: dict[str, Any]) -> Response | None:
    """The error response for a body no route may take, or None."""
    body = event.get("body")
    if not body:
        return None
    media = _media_type(event.get("headers") or {})
    if media and media != "application/json":
        return error_response(
            415, "unsupported_media_type", f"The body must be JSON (Content-Type: application/json), not {media}."
        )
    try:
        value = json.loads(_text(body, event.get("isBase64Encoded", False)))
    except RecursionError:
        return _too_deep()
    except ValueError:
        return None
    if _depth_over(value, MAX_DEPTH):
        return _too_deep()
    if value is not None and not isinstance(value, dict):
        return error_response(400, "body_not_an_object", "The body must be a JSON object.")
    return None


def _media_type(headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    return content_type.split(";", 1)[0].strip().lower()


def _text(body: str, encoded: bool) -> str:
    if not encoded:
        return body
    try:
        return base64.b64decode(body).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""  # not JSON: the resolver answers malformed_json


def _too_deep() -> Response:
    return error_response(400, "body_too_deep", f"The JSON body is nested deeper than {MAX_DEPTH} levels.")


def _depth_over(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            if depth > limit:
                return True
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children)
    return False
