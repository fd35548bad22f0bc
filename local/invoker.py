"""The Lambda service, locally: runs the template's handlers in execution environments of their own.

Each function gets a pool of worker processes (`local.environments`), each with the function's
environment from the template (the stack's process environment: local endpoints, dummy credentials;
then Globals + the function's variables with Refs resolved; then the runtime's own, such as
`AWS_LAMBDA_FUNCTION_NAME`) and its own module state. The first invocation in an environment loads
the handler (the cold start); later ones reuse it (warm). Invocations of different functions, and
of one function in different environments, run at the same time, up to the function's concurrency
(`Template.concurrency`: ReservedConcurrentExecutions, else its SQS event sources'
ScalingConfig.MaximumConcurrency, else `DEFAULT_CONCURRENCY`, a cap for this 2-core machine where
Lambda's account limit is 1000). The function's `Timeout` is enforced: an invocation past it ends its
environment and fails with `Sandbox.Timedout`; the next invocation cold-starts a new one.

Every invocation is logged (`invocations`: function, request id, start, duration, cold start with its
init duration, the environment's pid, ok or the error).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.environments import EnvironmentSpec, ExecutionEnvironment, FunctionError, FunctionPool
from local.template import ROOT, Template

__all__ = ["DEFAULT_CONCURRENCY", "FunctionError", "Invocation", "Invoker"]

DEFAULT_CONCURRENCY = 4  # environments per function when the template sets no limit


@dataclass(frozen=True)
class Invocation:
    function: str
    request_id: str
    started_at: str
    duration_ms: float
    cold_start: bool
    ok: bool
    error: str | None = None
    init_duration_ms: float | None = None  # the cold start's init (handler import), as Lambda reports it
    environment: int | None = None  # the pid of the execution environment that ran it


class Invoker:
    """Invokes the template's functions in pooled execution environments (see the module docstring)."""

    def __init__(
        self,
        template: Template,
        refs: dict[str, str],
        root: Path = ROOT,
        history: int = 1000,
        default_concurrency: int = DEFAULT_CONCURRENCY,
        env_vars: dict[str, dict[str, str]] | None = None,
        concurrency: dict[str, int] | None = None,
        timeouts: dict[str, int] | None = None,
    ):
        """`env_vars`: variables over the template's, in the shape of `sam local --env-vars`
        (`{"Parameters": {...}}` for every function, `{"<LogicalId>": {...}}` for one; unlike SAM, a
        variable the template does not declare is set too). `concurrency`: a function's concurrency
        instead of the template's (a benchmark's "4 sync workers"). `timeouts`: a function's Timeout
        in seconds instead of the template's (a fault test's sync worker, whose killed step's lease
        lasts until its invocation's deadline)."""
        self.template = template
        self.timeouts = timeouts or {}
        self.env_vars = env_vars or {}
        self.refs = refs
        self.root = root
        self.region = str(template.resolve({"Ref": "AWS::Region"}))
        self.account = str(template.resolve({"Ref": "AWS::AccountId"}))
        self._preload: dict[str, tuple[str, ...]] = {}
        self._pools = {
            function: FunctionPool(
                function,
                (concurrency or {}).get(function) or template.concurrency(function, default_concurrency),
                lambda generation, function=function: self._start_environment(function, generation),
            )
            for function in template.functions
        }
        self._log: deque[Invocation] = deque(maxlen=history)
        self._log_lock = threading.Lock()
        self._environ_lock = threading.RLock()

    @property
    def invocations(self) -> list[Invocation]:
        with self._log_lock:
            return list(self._log)

    def invocations_as_dicts(self, function: str | None = None) -> list[dict[str, Any]]:
        return [asdict(i) for i in self.invocations if function is None or i.function == function]

    def concurrency(self, function: str) -> int:
        return self._pools[function].limit

    def environments(self, function: str) -> int:
        """How many execution environments `function` has now (idle, busy or starting)."""
        return self._pools[function].size

    def environment(self, function: str) -> dict[str, str]:
        """The function's variables as Lambda would set them: the template's, plus the runtime's own."""
        fn = self.template.functions[function]
        name = self.template.function_name(function)
        env = {key: str(self.template.resolve(value, self.refs)) for key, value in fn.environment.items()}
        env |= self.env_vars.get("Parameters", {}) | self.env_vars.get(function, {})
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
        """`function`'s environment applied to this process's os.environ, for code that runs here
        (the stack's set-up, test fixtures making tenants); handlers never run in this process.
        Holders of this context run one at a time."""
        with self._environ_lock:
            saved = dict(os.environ)
            os.environ.update(self.environment(function))
            try:
                yield
            finally:
                os.environ.clear()
                os.environ.update(saved)

    def preload(self, function: str, *modules: str) -> None:
        """Import `modules` in every new environment of `function` before its handler (tests inject
        faults this way, as an exec wrapper would); no modules: none. Idle environments end, so the
        next invocation cold-starts with them."""
        self._preload[function] = tuple(modules)
        self._pools[function].retire()

    def stop(self) -> None:
        """End every environment; invocations still running fail, new ones are refused."""
        for pool in self._pools.values():
            pool.close()

    def invoke(self, function: str, event: Any) -> Any:
        """Invoke synchronously; return the JSON-decoded result or raise FunctionError."""
        pool = self._pools[function]
        request_id = str(uuid.uuid4())
        started = time.time()
        try:
            env, cold_start = pool.acquire()
        except FunctionError as error:  # init failed or timed out: the invocation fails
            self._record(function, request_id, started, True, error)
            raise
        invoked = time.time()
        try:
            result = env.invoke(event, self._context(function, request_id, env, invoked))
        except FunctionError as error:
            self._record(function, request_id, invoked, cold_start, error, env)
            raise
        finally:
            pool.release(env)
        self._record(function, request_id, invoked, cold_start, None, env)
        return result

    def _context(self, function: str, request_id: str, env: ExecutionEnvironment, invoked: float) -> dict:
        name = self.template.function_name(function)
        return {
            "function_name": name,
            "function_version": "$LATEST",
            "invoked_function_arn": f"arn:aws:lambda:{self.region}:{self.account}:function:{name}",
            "memory_limit_in_mb": self.template.memory_size(function),
            "aws_request_id": request_id,
            "log_group_name": f"/aws/lambda/{name}",
            "log_stream_name": env.spec.variables["AWS_LAMBDA_LOG_STREAM_NAME"],
            "deadline_ms": int(invoked * 1000) + env.spec.timeout * 1000,
        }

    def _start_environment(self, function: str, generation: int) -> ExecutionEnvironment:
        fn = self.template.functions[function]
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        with self._environ_lock:  # not while function_environment has swapped it
            inherited = dict(os.environ)
        spec = EnvironmentSpec(
            function=function,
            task_root=str(self.root / fn.code_uri),
            layers=[str(self.root / path) for path in self.template.layer_paths(function)],
            handler=fn.handler,
            variables=inherited | self.environment(function) | {"AWS_LAMBDA_LOG_STREAM_NAME": stream},
            timeout=self.timeouts.get(function, fn.timeout),
            preload=self._preload.get(function, ()),
        )
        return ExecutionEnvironment(spec, generation).start()

    def _record(
        self,
        function: str,
        request_id: str,
        started: float,
        cold_start: bool,
        error: FunctionError | None,
        env: ExecutionEnvironment | None = None,
    ) -> None:
        invocation = Invocation(
            function=function,
            request_id=request_id,
            started_at=datetime.fromtimestamp(started, UTC).isoformat(),
            duration_ms=round((time.time() - started) * 1000, 1),
            cold_start=cold_start,
            ok=error is None,
            error=f"{error.error_type}: {error.error_message}" if error else None,
            init_duration_ms=env.init_ms if env and cold_start else None,
            environment=env.pid if env else None,
        )
        with self._log_lock:
            self._log.append(invocation)
