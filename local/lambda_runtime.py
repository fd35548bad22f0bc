"""One Lambda execution environment, the worker process `local.environments` starts for a function.

    python -m local.lambda_runtime --task-root functions/webhook_intake --layer layers/shared \
        --handler app.lambda_handler [--preload module ...]

The process gets the function's environment (Globals + function, Refs resolved) from its parent.
Init, once (the cold start): the code folder and then the layers go first on `sys.path` (Lambda's
`/var/task` and `/opt/python`), the `--preload` modules are imported (tests' fault injection, as an
exec wrapper would), then the handler's module; the process answers `{"ready": ...}` or, if init
raised, `{"init_error": ...}` and exits. Then it serves invocations one at a time, warm: one JSON
request per line on stdin (`{"event": ..., "context": {...}}`), one JSON answer per line
(`{"result": ...}` or `{"error": {"errorType", "errorMessage", "stackTrace"}}`) on the protocol
channel, the original stdout; the handler's own prints and logs go to stderr (the console, Lambda's
CloudWatch). A closed stdin (the parent stopped or died) ends the process.

Only the standard library is imported here before the handler, so module state (the layer's
container, Powertools' logger, boto3 clients) is the handler's own in every environment.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_ms: int
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def error_of(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """What the Python runtime reports for an exception: errorType, errorMessage, stackTrace."""
    return {
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc),
    }


def load_handler(handler: str, preload: list[str]) -> Any:
    module_name, _, attribute = handler.rpartition(".")
    for name in preload:
        importlib.import_module(name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HandlerImportError(f"Unable to import module '{module_name}': {exc}") from exc
    if not hasattr(module, attribute):
        raise HandlerImportError(f"Handler '{attribute}' missing on module '{module_name}'")
    return getattr(module, attribute)


class HandlerImportError(Exception):
    """Lambda's Runtime.ImportModuleError / Runtime.HandlerNotFound, as one local kind."""


def answer(request: dict[str, Any], handler: Any) -> str:
    """Run one invocation; its answer as one JSON line."""
    try:
        result = handler(request["event"], LambdaContext(**request["context"]))
    except Exception as exc:  # the runtime reports any exception as a function error
        return json.dumps({"error": error_of(exc)})
    try:
        return json.dumps({"result": result})
    except (TypeError, ValueError) as exc:
        marshal = error_of(exc, "Runtime.MarshalError") | {
            "errorMessage": f"Unable to marshal response: {exc}"
        }
        return json.dumps({"error": marshal})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.lambda_runtime")
    parser.add_argument("--task-root", required=True)
    parser.add_argument("--layer", action="append", default=[])
    parser.add_argument("--handler", required=True)
    parser.add_argument("--preload", action="append", default=[])
    args = parser.parse_args(argv)

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints and logs to the console, not the channel
    sys.stdout.reconfigure(line_buffering=True)

    def send(line: str) -> None:
        protocol.write(line + "\n")
        protocol.flush()

    sys.path[:0] = [args.task_root, *args.layer]
    started = time.perf_counter()
    try:
        handler = load_handler(args.handler, args.preload)
    except Exception as exc:
        kind = "Runtime.ImportModuleError" if isinstance(exc, HandlerImportError) else None
        send(json.dumps({"init_error": error_of(exc, kind)}))
        return 1
    send(
        json.dumps(
            {"ready": True, "pid": os.getpid(), "init_ms": round((time.perf_counter() - started) * 1000, 1)}
        )
    )
    for line in sys.stdin.buffer:
        send(answer(json.loads(line), handler))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
