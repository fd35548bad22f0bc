"""One place that sets up Powertools logging, tracing and metrics.

Every log line carries the tenant and integration ids where known
(`bind(tenant_id=..., integration_id=...)`), and so does the trace, as X-Ray annotations. Secrets never reach a log: the
formatter masks any key that looks like a credential, at any depth, and any
string that looks like one of our API keys or a Zoho token.

Tracing is on only in a deployment with `XRayTracing=true` (the template sets `XRAY_TRACING`), and there
Powertools' own rules still apply (off with POWERTOOLS_TRACE_DISABLED, outside Lambda, under `sam local`).
When it is off, `tracer` is an `OffTracer`: the same decorators and calls, doing nothing, and the X-Ray
SDK (about 0.4 s of every cold start, and botocore with it) is never imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

SENSITIVE_KEY = re.compile(r"(token|secret|password|authorization|api_key|apikey|credential)", re.I)
# Our API keys (csk_...) and Zoho tokens (1000.<hex>.<hex>) if they slip into free text.
SENSITIVE_VALUE = re.compile(r"\b(csk_[A-Za-z0-9_\-]{10,}|1000\.[0-9a-f]{16,}\.[0-9a-f]{16,})")
MASK = "***"
SAFE_KEYS = {"token_hash", "key_id", "tokens_refreshed"}


def redact(value: Any, key: str | None = None) -> Any:
    """Return `value` with credential-like keys and values masked."""
    if key is not None and key not in SAFE_KEYS and SENSITIVE_KEY.search(key):
        return MASK
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return SENSITIVE_VALUE.sub(MASK, value)
    return value


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:
        return super().serialize(redact(log))


class OffTracer:
    """Powertools Tracer's interface when tracing is off: the decorators return the function as it is."""

    disabled = True

    def capture_lambda_handler(self, lambda_handler: Callable | None = None, **_options: Any) -> Callable:
        return lambda_handler if lambda_handler is not None else self.capture_lambda_handler

    def capture_method(self, method: Callable | None = None, **_options: Any) -> Callable:
        return method if method is not None else self.capture_method

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        pass


def tracing_on(env: Mapping[str, str] = os.environ) -> bool:
    """What the template's `XRayTracing` parameter says (`XRAY_TRACING`, "false" when unset)."""
    return env.get("XRAY_TRACING", "false").lower() == "true"


def make_tracer(env: Mapping[str, str] = os.environ):
    """Powertools' Tracer (it imports the X-Ray SDK) when tracing is on, else an OffTracer."""
    if not tracing_on(env):
        return OffTracer()
    return Tracer()


logger = Logger(logger_formatter=RedactingFormatter())
tracer = make_tracer()
metrics = Metrics()


# Ids that also become X-Ray annotations (indexed: `annotation.tenant_id = "..."` finds the traces).
ANNOTATED_IDS = ("tenant_id", "integration_id", "run_id")


def bind(**ids: str | None) -> None:
    """Attach ids (tenant_id, integration_id, ...) to every following log line, and the tenant,
    integration and run ids to the current trace as X-Ray annotations."""
    known = {k: v for k, v in ids.items() if v}
    logger.append_keys(**known)
    annotate(**{k: v for k, v in known.items() if k in ANNOTATED_IDS})


def annotate(**values: str) -> None:
    """X-Ray annotations on the current (sub)segment. A no-op when tracing is off (`XRayTracing=false`,
    POWERTOOLS_TRACE_DISABLED=true, tests, the local stack, the operator CLI) and never an error:
    without an open segment the X-Ray SDK would complain, and a trace is not worth a failed call."""
    if tracer.disabled:
        return
    for key, value in values.items():
        try:
            tracer.put_annotation(key=key, value=value)
        except Exception:  # tracing must never break the work it traces
            logger.debug("X-Ray annotation skipped", extra={"annotation": key})
