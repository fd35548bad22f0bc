"""Pieces shared by the vendor sandboxes: call counting, fault injection, control routes, servers.

Nothing here is module-level state: each sandbox app builds its own `CallCounter` and `Faults`
and passes them to `SandboxMiddleware` and `control_routes`.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Self

import uvicorn
from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox/"

ResponseFactory = Callable[[], Response]
# Admission gate (e.g. credits, concurrency): yields None to admit the call or a Response to refuse it.
Admit = Callable[[Scope], AbstractAsyncContextManager[Response | None]]


class CallCounter:
    """Counts API calls by "METHOD /route/template"."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class FaultRule(BaseModel):
    """One fault: applies to matching calls with probability `share`, for the `next` N hits if set and
    for `for_seconds` after it was set if set (a storm or an outage of a while); both: whichever ends first."""

    kind: Literal["rate_limit", "server_error", "slow", "drop"]
    share: float = Field(default=1.0, ge=0.0, le=1.0)
    next: int | None = Field(default=None, ge=1)
    for_seconds: float | None = Field(default=None, gt=0)
    path_prefix: str = "/"
    delay_ms: int = Field(default=0, ge=0)


class FaultsBody(BaseModel):
    faults: list[FaultRule]


class Faults:
    """Fault rules set through `PUT /_sandbox/faults`; `decide` picks the fault for one call."""

    def __init__(self, seed: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock`: seconds, for `for_seconds` (the sandbox's own clock, so tests can move it)."""
        self._clock = clock
        self._rules: list[FaultRule] = []
        self._remaining: list[int | None] = []
        self._set_at = clock()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def set(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules = list(rules)
            self._remaining = [rule.next for rule in rules]
            self._set_at = self._clock()

    def clear(self) -> None:
        self.set([])

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                rule.model_dump() | {"remaining": remaining, "seconds_left": self._seconds_left(rule)}
                for rule, remaining in zip(self._rules, self._remaining, strict=True)
            ]

    def _seconds_left(self, rule: FaultRule) -> float | None:
        if rule.for_seconds is None:
            return None
        return round(max(0.0, self._set_at + rule.for_seconds - self._clock()), 3)

    def decide(self, path: str) -> FaultRule | None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not path.startswith(rule.path_prefix) or self._remaining[index] == 0:
                    continue
                if rule.for_seconds is not None and self._seconds_left(rule) == 0:
                    continue
                if self._rng.random() >= rule.share:
                    continue
                if self._remaining[index] is not None:
                    self._remaining[index] -= 1
                return rule
            return None


def route_template(scope: Scope) -> str:
    """The path template of the app route that matches `scope`, or the raw path when none does."""
    app = scope.get("app")
    for route in getattr(app, "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            return route.path
    return scope["path"]


SERVER_SEND = "sandbox.server_send"


class SandboxApp(Starlette):
    """Starlette app that keeps the server's own `send` in the scope, so a fault can drop the connection.

    Starlette's error middleware wraps `send` before any user middleware sees it; the drop fault
    needs the original (uvicorn's bound method, which holds the transport).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


class TrailingSlash:
    """ASGI middleware: `/inventory/v1/contacts/` is answered as `/inventory/v1/contacts`, directly
    rather than with Starlette's redirect (some vendor clients always add the slash; the vendor
    answers them). Put it first, so the call counter and routing see the path without the slash."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            trimmed = path.rstrip("/") or "/"
            scope = dict(scope, path=trimmed)
            if scope.get("raw_path"):
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


async def drop_connection(scope: Scope, send: Send) -> None:
    """Close the client connection without any response.

    Aborts uvicorn's transport, reached through its `send` kept by `SandboxApp`. Without a
    transport, start a response and break it off (the client still sees a broken connection).
    """
    server_send = scope.get(SERVER_SEND, send)
    transport = getattr(getattr(server_send, "__self__", None), "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        raise ConnectionAbortedError("sandbox fault: drop")
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the disconnect before the app returns


class SandboxMiddleware:
    """ASGI middleware: counts calls, runs the sandbox's admission gate, then injects faults.

    `/_sandbox/*` paths pass straight through. `rate_limited` and `server_error` build the
    vendor-specific responses for those faults.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        counter: CallCounter,
        faults: Faults,
        rate_limited: ResponseFactory,
        server_error: ResponseFactory,
        admit: Admit | None = None,
    ) -> None:
        self.app = app
        self.counter = counter
        self.faults = faults
        self.rate_limited = rate_limited
        self.server_error = server_error
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        self.counter.add(f"{scope['method']} {route_template(scope)}")
        if self.admit is None:
            await self._with_faults(scope, receive, send)
            return
        async with self.admit(scope) as refusal:
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self._with_faults(scope, receive, send)

    async def _with_faults(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.faults.decide(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "rate_limit":
            await self.rate_limited()(scope, receive, send)
        elif fault.kind == "server_error":
            await self.server_error()(scope, receive, send)
        elif fault.kind == "slow":
            await asyncio.sleep(fault.delay_ms / 1000)
            await self.app(scope, receive, send)
        else:
            await drop_connection(scope, send)


def control_routes(
    *,
    counter: CallCounter,
    faults: Faults,
    reset: Callable[[], None],
    set_limits: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[Route]:
    """`POST /_sandbox/reset`, `GET /_sandbox/calls`, `GET|PUT /_sandbox/faults`, `PUT /_sandbox/limits`.

    `set_limits` validates and applies a partial limits body and returns the limits in force
    (it may raise pydantic's ValidationError, answered with 400).
    """

    async def reset_endpoint(request: Request) -> Response:
        reset()
        counter.reset()
        faults.clear()
        return JSONResponse({"status": "reset"})

    async def calls_endpoint(request: Request) -> Response:
        return JSONResponse({"calls": counter.snapshot()})

    async def get_faults_endpoint(request: Request) -> Response:
        return JSONResponse({"faults": faults.active()})

    async def put_faults_endpoint(request: Request) -> Response:
        try:
            body = FaultsBody.model_validate(await _json(request))
        except ValidationError as exc:
            return _bad_request(exc)
        faults.set(body.faults)
        return JSONResponse({"faults": faults.active()})

    async def limits_endpoint(request: Request) -> Response:
        body = await _json(request)
        if not isinstance(body, dict):
            return JSONResponse(
                {"error": "invalid body", "details": "expected a JSON object"}, status_code=400
            )
        try:
            return JSONResponse({"limits": set_limits(body)})
        except ValidationError as exc:
            return _bad_request(exc)

    return [
        Route("/_sandbox/reset", reset_endpoint, methods=["POST"]),
        Route("/_sandbox/calls", calls_endpoint, methods=["GET"]),
        Route("/_sandbox/faults", get_faults_endpoint, methods=["GET"]),
        Route("/_sandbox/faults", put_faults_endpoint, methods=["PUT"]),
        Route("/_sandbox/limits", limits_endpoint, methods=["PUT"]),
    ]


async def _json(request: Request) -> Any:
    """The JSON body, `{}` when empty, None when it is not JSON (refused by the caller's validation)."""
    body = await request.body()
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return None


def _bad_request(exc: ValidationError) -> Response:
    return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400)


# How long an idle keep-alive connection stays open. uvicorn's default, 5 s, is also httpx's
# `keepalive_expiry`: a client that reuses a connection idle for just under 5 s can meet the
# server closing it, and its request fails with "Server disconnected without sending a response"
# (a create is then not retried: its outcome is unknown). Vendors' and API Gateway's servers keep
# idle connections far longer than their clients; so do these, and the client always closes first.
KEEP_ALIVE_SECONDS = 75


class ServerThread:
    """Runs an ASGI app on uvicorn in a daemon thread; usable as a context manager.

    `port=0` binds a free port; `base_url` carries the real one once `start()` returns.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            lifespan="auto",
        )
        self.app = app
        self.server = uvicorn.Server(config)
        self.host = host
        self._thread = threading.Thread(target=self.server.run, name=f"uvicorn-{host}:{port}", daemon=True)

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> ServerThread:
    """Start `app` in a background thread and return the running `ServerThread`."""
    return ServerThread(app, host, port).start()


def serve_forever(app: Starlette, host: str, port: int) -> None:
    """Blocking server for the `python -m local.sandboxes.<vendor>` entry points."""
    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = [
    "Admit",
    "CallCounter",
    "FaultRule",
    "Faults",
    "SandboxApp",
    "SandboxMiddleware",
    "ServerThread",
    "control_routes",
    "drop_connection",
    "route_template",
    "run_in_thread",
    "serve_forever",
]
