"""The OpenAPI `responses` of the routes, built from a few shared pieces so every operation documents
its success and every error it can answer, in the error shape (`errors.error_doc`).

A route writes `responses=ok("...") | AUTH | ALWAYS | BODY_ERRORS | {its own errors}`: the success
entry takes its schema from the route's return annotation (`Response[X]` documents X), so the model
is named once; the route's own entries come last and win over the shared descriptions.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from crmsync.api.errors import error_doc

RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}


def success(status: int, description: str) -> dict[int, OpenAPIResponse]:
    """A 2xx entry whose body is the route's return annotation."""
    return {status: {"description": description}}


def ok(description: str) -> dict[int, OpenAPIResponse]:
    return success(200, description)


def created(description: str) -> dict[int, OpenAPIResponse]:
    return success(201, description)


def accepted(description: str) -> dict[int, OpenAPIResponse]:
    """202: work queued; the body (the return annotation) says what was queued."""
    return success(202, description)


def no_content(description: str) -> dict[int, OpenAPIResponse]:
    """204: no body (an empty `content`, so nothing is inferred from the annotation)."""
    return {204: {"description": description, "content": {}}}


def retry_doc(description: str) -> OpenAPIResponse:
    """An error in the error shape that carries `Retry-After` (429, 503)."""
    return {**error_doc(description), "headers": RETRY_AFTER}


# Every route behind the authorizer.
AUTH = {401: error_doc("Missing or bad API key")}

# Every route: query, path or header parameters that fail validation, throttling (the stage's or a
# vendor's) and a failing vendor.
ALWAYS = {
    422: error_doc("Invalid fields; details.fields names each field and why"),
    429: retry_doc("Too many requests, or a vendor throttled the call; retry after Retry-After seconds"),
    503: retry_doc("The CRM or inventory API is failing; retry after Retry-After seconds"),
}

# Every route with a request body.
BODY_ERRORS = {
    400: error_doc("Malformed JSON, a body that is not a JSON object, or JSON nested too deep"),
    413: error_doc("The body is too large"),
    415: error_doc("Unsupported Content-Type; send application/json"),
    422: error_doc("Invalid fields; details.fields names each field and why"),
}

# Every route that calls a vendor and may get a refusal it cannot retry.
VENDOR = {502: error_doc("The CRM or inventory API refused the call")}
