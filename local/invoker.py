"""Run the template's Lambda handlers in this process, the way the Lambda runtime would.

Each function's `{CodeUri}/app.py` is loaded by file path under a unique module
name (they are all called `app`) on its first invocation (the cold start) and
kept, like a warm container. Every invocation gets a Lambda-like context and the
function's environment from the template (Globals + function, Refs resolved to
the local resources), applied to `os.environ` around the call.

Invocations are serialized by one lock: `os.environ` is process-wide, so two
functions cannot run at once with different environments. In AWS they would run
concurrently, each in its own sandbox.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from local.template import ROOT, Template


class FunctionError(Exception):
    """A handler failed; carries what Lambda reports as errorType and errorMessage."""

    def __init__(self, function: str, error_type: str, error_message: str, stack: list[str] | None = None):
        super().__init__(f"{function}: {error_type}: {error_message}")
        self.function = function
        self.error_type = error_type
        self.error_message = error_message
        self.stack = stack or []


@dataclass(frozen=True)
class Invocation:
    function: str
    request_id: str
    started_at: str
    duration_ms: float
    cold_start: bool
    ok: bool
    error: str | None = None


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


class Invoker:
    """Loads and invokes the template's functions; one at a time (see the module docstring)."""

    def __init__(self, template: Template, refs: dict[str, str], root: Path = ROOT, history: int = 1000):
        self.template = template
        self.refs = refs
        self.root = root
        self.region = str(template.resolve({"Ref": "AWS::Region"}))
        self.account = str(template.resolve({"Ref": "AWS::AccountId"}))
        self._modules: dict[str, ModuleType] = {}
        self._lock = threading.RLock()
        self._log: deque[Invocation] = deque(maxlen=history)

    @property
    def invocations(self) -> list[Invocation]:
        return list(self._log)

    def environment(self, function: str) -> dict[str, str]:
        """The function's variables as Lambda would set them: the template's, plus the runtime's own."""
        fn = self.template.functions[function]
        name = self.template.function_name(function)
        env = {key: str(self.template.resolve(value, self.refs)) for key, value in fn.environment.items()}
        env.update(
            AWS_LAMBDA_FUNCTION_NAME=name,
            AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(self.template.memory_size(function)),
            AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{name}",
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_EXECUTION_ENV="AWS_Lambda_python3.12",
            LAMBDA_TASK_ROOT=str(self.root / fn.code_uri),
            _HANDLER=fn.handler,
            # What `sam local` sets; Powertools Tracer also stays off because of it.
            AWS_SAM_LOCAL="true",
        )
        return env

    @contextmanager
    def function_environment(self, function: str) -> Iterator[None]:
        """Hold the invocation lock with `function`'s environment applied to os.environ."""
        with self._lock:
            saved = dict(os.environ)
            os.environ.update(self.environment(function))
            try:
                yield
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def invoke(self, function: str, event: Any) -> Any:
        """Invoke synchronously; return the JSON-decoded result or raise FunctionError."""
        fn = self.template.functions[function]
        name = self.template.function_name(function)
        request_id = str(uuid.uuid4())
        payload = json.loads(json.dumps(event))  # the handler gets a copy, as over the wire
        with self.function_environment(function):
            cold_start = function not in self._modules
            started = time.time()
            context = LambdaContext(
                function_name=name,
                function_version="$LATEST",
                invoked_function_arn=f"arn:aws:lambda:{self.region}:{self.account}:function:{name}",
                memory_limit_in_mb=self.template.memory_size(function),
                aws_request_id=request_id,
                log_group_name=f"/aws/lambda/{name}",
                log_stream_name=f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
                deadline_ms=int(started * 1000) + fn.timeout * 1000,
            )
            try:
                result = self._run(function, payload, context)
                elapsed = time.time() - started
                if elapsed > fn.timeout:
                    raise FunctionError(
                        function, "Sandbox.Timedout", f"Task timed out after {fn.timeout}.00 seconds"
                    )
            except FunctionError as error:
                self._record(function, request_id, started, cold_start, error)
                raise
            self._record(function, request_id, started, cold_start, None)
            return result

    def _run(self, function: str, payload: Any, context: LambdaContext) -> Any:
        try:
            handler = self._handler(function)
            result = handler(payload, context)
        except Exception as exc:  # the runtime reports any exception as a function error
            stack = traceback.format_exception(exc)
            raise FunctionError(function, type(exc).__name__, str(exc), stack) from exc
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            raise FunctionError(
                function, "Runtime.MarshalError", f"Unable to marshal response: {exc}"
            ) from exc

    def _handler(self, function: str) -> Callable[[Any, LambdaContext], Any]:
        fn = self.template.functions[function]
        module_file, _, attribute = fn.handler.rpartition(".")
        if function not in self._modules:
            path = self.root / fn.code_uri / f"{module_file.replace('.', '/')}.py"
            module_name = f"_local_lambda_{fn.name}_{module_file.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"Runtime.ImportModuleError: cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
            self._modules[function] = module
        return getattr(self._modules[function], attribute)

    def _record(
        self, function: str, request_id: str, started: float, cold_start: bool, error: FunctionError | None
    ) -> None:
        self._log.append(
            Invocation(
                function=function,
                request_id=request_id,
                started_at=datetime.fromtimestamp(started, UTC).isoformat(),
                duration_ms=round((time.time() - started) * 1000, 1),
                cold_start=cold_start,
                ok=error is None,
                error=f"{error.error_type}: {error.error_message}" if error else None,
            )
        )

    def invocations_as_dicts(self, function: str | None = None) -> list[dict[str, Any]]:
        return [asdict(i) for i in self._log if function is None or i.function == function]
