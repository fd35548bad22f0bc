"""Shared HTTP plumbing of the vendor clients: one httpx client, typed errors and bounded retries."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from crmsync.adapters.pacer import Pacer
from crmsync.ports.budget import CallBudget
from crmsync.ports.errors import Unavailable, VendorError, VendorSystem

logger = logging.getLogger(__name__)

Classifier = Callable[[httpx.Response], VendorError | None]
"""Turns a vendor response into the typed error it stands for, or None when it is a success."""

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class RetryPolicy(BaseModel):
    """How hard to retry a retryable failure: bounded attempts and bounded total waiting."""

    model_config = ConfigDict(frozen=True)

    max_attempts: int = 8
    max_total_wait: float = 120.0
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    timeout: float = 30.0


class VendorHttp:
    """Sends vendor API calls: paced, authorised by `auth`, retried when retryable.

    `base_url` is read on every attempt, so the API host can come from the token response.
    `budget_header` names the vendor's header of calls left, when it sends one.
    """

    def __init__(
        self,
        system: VendorSystem,
        client: httpx.Client,
        classify: Classifier,
        base_url: Callable[[], str],
        *,
        auth: httpx.Auth | None = None,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] | None = None,
        budget_header: str | None = None,
    ):
        self.system = system
        self._client = client
        self._classify = classify
        self._base_url = base_url
        self._auth = auth
        self._policy = policy or RetryPolicy()
        self._pacer = pacer
        self._sleep = sleep
        self._budget_header = budget_header
        self._calls_left: int | None = None
        self._retried: Counter[str] = Counter()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """The vendor's successful response, or the typed error after retries ran out.

        A call that is not idempotent (POST unless told otherwise) is repeated only when the vendor
        surely did not act on it: throttled, or the connection never opened.
        """
        idempotent = method.upper() != "POST" if idempotent is None else idempotent

        def attempt() -> httpx.Response:
            url = self._base_url() + path
            with self._pacer.slot() if self._pacer else nullcontext():
                try:
                    response = self._client.request(
                        method,
                        url,
                        params=params,
                        json=json_body,
                        headers=headers,
                        auth=self._auth or httpx.USE_CLIENT_DEFAULT,
                    )
                except httpx.TransportError as exc:
                    raise self._transport_error(exc, idempotent) from exc
            if self._budget_header:
                self._calls_left = _int_header(response, self._budget_header)
            error = self._classify(response)
            if self._pacer:
                self._pacer.observe(response.headers, error.message if error else None)
            if error is None:
                return response
            if not idempotent and isinstance(error, Unavailable):
                error.retryable = False
            raise error

        return self._retrying(method, path)(attempt)

    def budget(self) -> CallBudget:
        """Calls left as the vendor's last answer told them, else as the pacer counts; the pacer's pace."""
        paced = self._pacer.budget() if self._pacer else CallBudget()
        left = self._calls_left if self._budget_header else paced.left
        return CallBudget(left=left, per_second=paced.per_second, retried=dict(self._retried))

    def close(self) -> None:
        self._client.close()

    def _transport_error(self, exc: httpx.TransportError, idempotent: bool) -> Unavailable:
        error = Unavailable(self.system, f"{type(exc).__name__}: no answer", code="CONNECTION")
        if not idempotent and not isinstance(exc, _NOT_SENT):
            error.retryable = False
            error.code = "OUTCOME_UNKNOWN"
        return error

    def _retrying(self, method: str, path: str) -> Retrying:
        policy = self._policy
        backoff = wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = getattr(error, "retry_after", None)
            return float(retry_after) if retry_after is not None else backoff(state)

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            status = getattr(error, "status", None)
            self._retried[str(status) if status else "no answer"] += 1
            logger.warning(
                "retrying vendor call",
                extra={
                    "vendor": self.system,
                    "method": method,
                    "path": path,
                    "attempt": state.attempt_number,
                    "error": type(error).__name__,
                    "code": getattr(error, "code", None),
                    "status": getattr(error, "status", None),
                    "sleep_seconds": round(state.upcoming_sleep, 3),
                },
            )

        extra: dict[str, Any] = {"sleep": self._sleep} if self._sleep else {}
        return Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, VendorError) and exc.retryable),
            stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_total_wait),
            wait=wait,
            before_sleep=log_retry,
            reraise=True,
            **extra,
        )


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds, when present as a number."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def decode_json(response: httpx.Response) -> Any:
    """The JSON body with every id (`id`, `*_id`) as a string, whether sent as string or number.

    Python's json keeps big integers exact, so 19-digit ids sent as numbers survive unchanged.
    An empty or non-JSON body decodes to None.
    """
    if not response.content:
        return None
    try:
        return json.loads(response.content, object_pairs_hook=_ids_as_strings)
    except ValueError:
        return None


def _ids_as_strings(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: str(value) if _is_id(key) and type(value) is int else value for key, value in pairs}


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")
