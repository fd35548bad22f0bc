"""API Gateway (REST API, Lambda proxy integration), locally: a Starlette app in front of the invoker.

Routes, the authorizer and the gateway responses all come from template.yaml.
Requests are served concurrently: each invocation waits in a worker thread for an execution
environment of its function (`local.invoker`), so a slow function holds up only its own callers.
A request becomes the v1 proxy event; on an authorized route the REQUEST
authorizer runs first, as API Gateway runs it:
- an identity-source header (Authorization) missing or empty: UNAUTHORIZED, the
  authorizer is not called;
- the authorizer raises "Unauthorized": UNAUTHORIZED; raises anything else:
  AUTHORIZER_FAILURE (500); returns a malformed policy: AUTHORIZER_CONFIGURATION_ERROR (500);
- its policy denies, or does not allow, the methodArn: ACCESS_DENIED;
- Allow: its `context` (values as strings) and principalId go to `requestContext.authorizer`.
No route for the path and method: MISSING_AUTHENTICATION_TOKEN ("Missing Authentication
Token"), as a REST API answers: 403 by default, the template's 404 `not_found` through its
GatewayResponses. A body over 10 MB: REQUEST_TOO_LARGE (413).
Error bodies are the template's GatewayResponses (DEFAULT_4XX/5XX where a type has
none). A function error or a malformed proxy result: 502 `{"message": "Internal
server error"}`, which API Gateway does not let GatewayResponses change.

Local-only routes: `GET /openapi.json`, `GET /docs` (Swagger UI, offline: its files from
node_modules/swagger-ui-dist under `/docs/assets/`, same-origin only by Content-Security-Policy; 503
with what to run if they are not installed), `POST /_local/schedules/{function}/fire`,
`GET /_local/invocations`.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route as HttpRoute

from local.invoker import FunctionError, Invoker
from local.scheduler import Scheduler
from local.template import ROOT, Route, Template

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
API_ID = "local"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# Response type -> (default status, x-amzn-ErrorType), as API Gateway documents them.
GATEWAY_RESPONSE_TYPES = {
    "UNAUTHORIZED": (401, "UnauthorizedException"),
    "ACCESS_DENIED": (403, "AccessDeniedException"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException"),
    "RESOURCE_NOT_FOUND": (404, "NotFoundException"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLargeException"),
    "AUTHORIZER_FAILURE": (500, "AuthorizerFailureException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "AuthorizerConfigurationException"),
}

# Swagger UI at /docs, offline: the page and its initializer are ours (local/swagger_ui/), the rest is
# the swagger-ui-dist npm package (package.json pins it; make installs it) served from node_modules.
SWAGGER_UI_PAGE = Path(__file__).resolve().parent / "swagger_ui"
SWAGGER_UI_DIST = ROOT / "node_modules" / "swagger-ui-dist"
# The swagger-ui-dist files /docs/assets/ serves, and their content types: the page's, then source maps.
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
    # for the browser's developer tools (the bundles name them in sourceMappingURL comments)
    "swagger-ui.css.map": "application/json",
    "swagger-ui-bundle.js.map": "application/json",
    "swagger-ui-standalone-preset.js.map": "application/json",
}
# Same origin only: nothing on the docs pages may load from, send to or embed another origin. Swagger UI
# sets inline styles and draws its icons as data: images; it runs no inline script and needs no eval.
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidate (ETag) so an upgraded swagger-ui-dist shows at once
}
SWAGGER_UI_MISSING = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Swagger UI is not installed</title></head>
<body>
  <h1>Swagger UI is not installed</h1>
  <p>The local gateway serves Swagger UI offline from <code>{dist}</code>, the
  <code>swagger-ui-dist</code> npm package of <code>package.json</code>, and it is missing
  (no {missing}).</p>
  <p>Run <code>npm install</code> in <code>{root}</code> (<code>make dev</code>, <code>make demo</code>
  and <code>make test</code> do it), then reload this page. <code>/openapi.json</code> works without it.</p>
</body>
</html>
"""


class GatewayError(Exception):
    """API Gateway answers by itself with a gateway response of `response_type`."""

    def __init__(self, response_type: str, message: str | None):
        super().__init__(message)
        self.response_type = response_type
        self.message = message


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: re.Pattern[str]
    rank: tuple[int, ...]  # static segments before {param} before {proxy+}, as API Gateway picks


def compile_route(route: Route) -> CompiledRoute:
    parts, rank = [], []
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy[1]}>.+)")
            rank.append(2)
        elif param:
            parts.append(f"(?P<{param[1]}>[^/]+)")
            rank.append(1)
        else:
            parts.append(re.escape(segment))
            rank.append(0)
    return CompiledRoute(route, re.compile("/" + "/".join(parts)), tuple(rank))


def wildcard_match(pattern: str, value: str) -> bool:
    """IAM-style match: `*` any run of characters, `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def policy_effect(policy: dict[str, Any], method_arn: str) -> str | None:
    """ "Deny" if a statement denies the methodArn, else "Allow" if one allows it, else None."""
    effects = set()
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if any(wildcard_match(a, "execute-api:Invoke") for a in actions) and any(
            wildcard_match(r, method_arn) for r in resources
        ):
            effects.add(statement.get("Effect"))
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else None


def context_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", None)


def proxy_response(result: Any) -> Response:
    """The HTTP response for a Lambda proxy result; 502 when the result is malformed."""
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    if (
        not isinstance(result, dict)
        or set(result) - allowed
        or not str(result.get("statusCode", "")).isdigit()
    ):
        return internal_server_error()
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    merged: dict[str, list[str]] = {
        k: [str(v) for v in vs] for k, vs in (result.get("multiValueHeaders") or {}).items()
    }
    for name, value in (result.get("headers") or {}).items():
        if str(value) not in merged.get(name, []):
            merged.setdefault(name, []).append(str(value))
    response = Response(content=content, status_code=int(result["statusCode"]))
    for name, values in merged.items():
        for value in values:
            response.headers.append(name, value)
    if "content-type" not in response.headers:
        response.headers["content-type"] = "application/json"
    return response


def internal_server_error() -> Response:
    return JSONResponse({"message": "Internal server error"}, status_code=502)


class Gateway:
    """The Starlette app; serve it with `local.sandboxes.common.run_in_thread`."""

    def __init__(
        self,
        template: Template,
        invoker: Invoker,
        scheduler: Scheduler | None = None,
        openapi_path: Path = ROOT / "openapi.json",
        swagger_ui_dist: Path = SWAGGER_UI_DIST,
    ):
        self.template = template
        self.invoker = invoker
        self.scheduler = scheduler
        self.openapi_path = openapi_path
        self.swagger_ui_dist = swagger_ui_dist
        self.stage = template.parameter("Stage")
        self.region = invoker.region
        self.account = invoker.account
        self.routes = sorted((compile_route(r) for r in template.routes), key=lambda c: c.rank)
        self.authorizer = template.authorizer_function
        self.identity_headers = [h.lower() for h in template.authorizer_identity_headers()]
        self.responses = template.gateway_responses()
        self.app = Starlette(
            routes=[
                HttpRoute("/openapi.json", self.openapi, methods=["GET"]),
                HttpRoute("/docs", self.docs, methods=["GET"]),
                HttpRoute("/docs/swagger-initializer.js", self.docs_initializer, methods=["GET"]),
                HttpRoute("/docs/assets/{name}", self.docs_asset, methods=["GET"]),
                HttpRoute("/_local/schedules/{function}/fire", self.fire, methods=["POST"]),
                HttpRoute("/_local/invocations", self.invocations, methods=["GET"]),
                HttpRoute("/{path:path}", self.proxy, methods=ALL_METHODS),
            ]
        )

    # ------------------------------------------------------------ local-only routes
    async def openapi(self, request: Request) -> Response:
        if not self.openapi_path.exists():
            return self.local_error(404, "not_found", f"{self.openapi_path.name} is not generated yet")
        return FileResponse(self.openapi_path, media_type="application/json")

    async def docs(self, request: Request) -> Response:
        if missing := self.swagger_ui_missing():
            return self.swagger_ui_not_installed(missing)
        return FileResponse(SWAGGER_UI_PAGE / "index.html", media_type="text/html", headers=DOCS_HEADERS)

    async def docs_initializer(self, request: Request) -> Response:
        return FileResponse(
            SWAGGER_UI_PAGE / "swagger-initializer.js", media_type="text/javascript", headers=DOCS_HEADERS
        )

    async def docs_asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in SWAGGER_UI_ASSETS:
            return Response("Not found", status_code=404, media_type="text/plain", headers=DOCS_HEADERS)
        if missing := self.swagger_ui_missing([name]):
            return self.swagger_ui_not_installed(missing)
        return FileResponse(
            self.swagger_ui_dist / name, media_type=SWAGGER_UI_ASSETS[name], headers=DOCS_HEADERS
        )

    def swagger_ui_missing(self, names: list[str] | None = None) -> list[str]:
        """The swagger-ui-dist files (of `names`, by default the page's) that are not installed."""
        if names is None:
            names = [name for name in SWAGGER_UI_ASSETS if not name.endswith(".map")]
        return [name for name in names if not (self.swagger_ui_dist / name).is_file()]

    def swagger_ui_not_installed(self, missing: list[str]) -> Response:
        page = SWAGGER_UI_MISSING.format(
            dist=html.escape(str(self.swagger_ui_dist)),
            missing=", ".join(f"<code>{html.escape(name)}</code>" for name in missing),
            root=html.escape(str(ROOT)),
        )
        return HTMLResponse(page, status_code=503, headers=DOCS_HEADERS)

    async def fire(self, request: Request) -> Response:
        function = request.path_params["function"]
        if self.scheduler is None or function not in self.scheduler.rates:
            return self.local_error(404, "not_found", f"{function} has no schedule in the template")
        try:
            result = await run_in_threadpool(self.scheduler.fire_now, function)
        except FunctionError as error:
            return JSONResponse({"function": function, "ok": False, "error": str(error)}, status_code=502)
        return JSONResponse({"function": function, "ok": True, "result": result})

    async def invocations(self, request: Request) -> Response:
        return JSONResponse(
            {"invocations": self.invoker.invocations_as_dicts(request.query_params.get("function"))}
        )

    @staticmethod
    def local_error(status: int, code: str, message: str) -> Response:
        return JSONResponse({"error": {"code": code, "message": message, "details": {}}}, status_code=status)

    # ------------------------------------------------------------ the API
    async def proxy(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        started = time.time()
        try:
            body = await self.read_body(request)
            route, path_params = self.match(request)
            event = self.event(request, route, path_params, body, request_id, started)
            if route.authorized:
                event["requestContext"]["authorizer"] = await self.authorize(event, route)
            result = await run_in_threadpool(self.invoker.invoke, route.function, event)
        except GatewayError as error:
            return self.gateway_response(error, request_id)
        except FunctionError:
            return internal_server_error()
        response = proxy_response(result)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    async def read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE", "Request Too Long")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise GatewayError("REQUEST_TOO_LARGE", "Request Too Long")
        return bytes(body)

    def match(self, request: Request) -> tuple[Route, dict[str, str]]:
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        for compiled in self.routes:
            found = compiled.pattern.fullmatch(raw_path)
            if found and compiled.route.method in (request.method, "ANY"):
                return compiled.route, {k: unquote(v) for k, v in found.groupdict().items()}
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")

    def event(
        self,
        request: Request,
        route: Route,
        path_params: dict[str, str],
        body: bytes,
        request_id: str,
        started: float,
    ) -> dict[str, Any]:
        """The REST API (v1 payload) Lambda proxy event."""
        client_ip = request.client.host if request.client else "127.0.0.1"
        raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        raw_headers += [
            ("X-Forwarded-For", client_ip),
            ("X-Forwarded-Port", str(request.url.port or 80)),
            ("X-Forwarded-Proto", request.url.scheme),
        ]
        query = parse_qsl(request.url.query, keep_blank_values=True)
        host = request.headers.get("host", "")
        return {
            "resource": route.path,
            "path": request.scope["path"],
            "httpMethod": request.method,
            "headers": dict(raw_headers),
            "multiValueHeaders": multi(raw_headers),
            "queryStringParameters": dict(query) or None,
            "multiValueQueryStringParameters": multi(query) or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self.account,
                "apiId": API_ID,
                "domainName": host,
                "domainPrefix": host.split(".")[0],
                "extendedRequestId": request_id,
                "httpMethod": request.method,
                "identity": {"sourceIp": client_ip, "userAgent": request.headers.get("user-agent")},
                "path": request.scope["path"],  # served at the root, like a custom domain without base path
                "protocol": f"HTTP/{request.scope.get('http_version', '1.1')}",
                "requestId": request_id,
                "requestTime": datetime.fromtimestamp(started, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(started * 1000),
                "resourceId": API_ID,
                "resourcePath": route.path,
                "stage": self.stage,
            },
            "body": body.decode("utf-8", errors="replace") if body else None,
            "isBase64Encoded": False,
        }

    async def authorize(self, event: dict[str, Any], route: Route) -> dict[str, Any]:
        """Run the REQUEST authorizer; return `requestContext.authorizer` or raise GatewayError."""
        headers = {k.lower(): v for k, v in event["headers"].items()}
        if any(not headers.get(name) for name in self.identity_headers):
            raise GatewayError("UNAUTHORIZED", "Unauthorized")
        method_arn = (
            f"arn:aws:execute-api:{self.region}:{self.account}:{API_ID}/{self.stage}/"
            f"{event['httpMethod']}{event['path']}"
        )
        authorizer_event = {"type": "REQUEST", "methodArn": method_arn} | {
            key: event[key]
            for key in (
                "resource",
                "path",
                "httpMethod",
                "headers",
                "multiValueHeaders",
                "queryStringParameters",
                "multiValueQueryStringParameters",
                "pathParameters",
                "stageVariables",
                "requestContext",
            )
        }
        started = time.time()
        try:
            answer = await run_in_threadpool(self.invoker.invoke, self.authorizer, authorizer_event)
        except FunctionError as error:
            if error.error_message == "Unauthorized":
                raise GatewayError("UNAUTHORIZED", "Unauthorized") from error
            raise GatewayError("AUTHORIZER_FAILURE", None) from error
        if not isinstance(answer, dict) or "principalId" not in answer or "policyDocument" not in answer:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR", None)
        effect = policy_effect(answer["policyDocument"], method_arn)
        if effect == "Deny":
            raise GatewayError(
                "ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny"
            )
        if effect != "Allow":
            raise GatewayError("ACCESS_DENIED", "User is not authorized to access this resource")
        context = {k: context_value(v) for k, v in (answer.get("context") or {}).items()}
        latency = int((time.time() - started) * 1000)
        return context | {"principalId": str(answer["principalId"]), "integrationLatency": latency}

    def gateway_response(self, error: GatewayError, request_id: str) -> Response:
        """API Gateway's own answer, rendered from the template's GatewayResponses."""
        default_status, error_type = GATEWAY_RESPONSE_TYPES[error.response_type]
        family = "DEFAULT_5XX" if default_status >= 500 else "DEFAULT_4XX"
        spec = self.responses.get(error.response_type) or self.responses.get(family) or {}
        default_spec = self.responses.get(family) or {}
        status = spec.get("status_code") or default_status
        templates = spec.get("templates") or default_spec.get("templates") or {}
        template = templates.get("application/json") or next(
            iter(templates.values()), '{"message":$context.error.messageString}'
        )
        body = (
            template.replace("$context.error.messageString", json.dumps(error.message))
            .replace("$context.error.message", error.message or "")
            .replace("$context.error.responseType", error.response_type)
            .replace("$context.requestId", request_id)
        )
        headers = {
            "content-type": "application/json",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": error_type,
        } | {**default_spec.get("headers", {}), **spec.get("headers", {})}
        return Response(content=body, status_code=status, headers=headers)


def multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out
