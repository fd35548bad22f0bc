"""Lambda execution environments, locally: one worker process each, pooled per function.

An `ExecutionEnvironment` is a `python -m local.lambda_runtime` process started with the function's
environment; it loads the handler once (init, the cold start) and then serves invocations one at a
time (warm), over JSON lines on its stdin and stdout. An invocation still running at the function's
`Timeout` kills the process, as Lambda ends the environment, and fails with `Sandbox.Timedout`; so does
an init longer than `INIT_SECONDS` plus the Timeout (Lambda gives init 10 s, then retries it within
the invocation's Timeout). A process that exits during an invocation fails it with `Runtime.ExitError`.

A `FunctionPool` holds a function's environments: an invocation takes an idle one (warm), else starts
a new one while fewer than the function's concurrency exist (cold), else waits for one to be free,
as a function at its reserved concurrency would be throttled and the caller (the event source
mapping, the gateway) would retry.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.template import ROOT

INIT_SECONDS = 10  # Lambda's init phase limit; a longer init is retried within the invocation's Timeout


class FunctionError(Exception):
    """A handler failed; carries what Lambda reports as errorType and errorMessage."""

    def __init__(self, function: str, error_type: str, error_message: str, stack: list[str] | None = None):
        super().__init__(f"{function}: {error_type}: {error_message}")
        self.function = function
        self.error_type = error_type
        self.error_message = error_message
        self.stack = stack or []


@dataclass(frozen=True)
class EnvironmentSpec:
    """How to start one environment of a function: what `local.lambda_runtime` takes, and its variables."""

    function: str
    task_root: str
    layers: list[str]
    handler: str
    variables: dict[str, str]
    timeout: int
    preload: tuple[str, ...] = field(default=())

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "local.lambda_runtime", "--task-root", self.task_root]
        for layer in self.layers:
            command += ["--layer", layer]
        command += ["--handler", self.handler]
        for module in self.preload:
            command += ["--preload", module]
        return command


class ExecutionEnvironment:
    """One worker process of a function; `start()` runs its init, `invoke()` one invocation."""

    def __init__(self, spec: EnvironmentSpec, generation: int = 0):
        self.spec = spec
        self.generation = generation
        self.init_ms = 0.0
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.process = subprocess.Popen(
            spec.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=spec.variables,
            cwd=ROOT,
        )
        self.pid = self.process.pid
        threading.Thread(target=self._read, name=f"env-{spec.function}-{self.pid}", daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._replies.put(json.loads(line))
        self._replies.put(None)  # the process ended

    def start(self) -> ExecutionEnvironment:
        """Wait for init; raise FunctionError (and end the process) if it fails or runs too long."""
        reply = self._reply(INIT_SECONDS + self.spec.timeout)
        if "init_error" in reply:
            self.kill()
            raise self._error(reply["init_error"])
        self.init_ms = float(reply["init_ms"])
        return self

    def invoke(self, event: Any, context: dict[str, Any]) -> Any:
        """Run one invocation; return the JSON result or raise FunctionError."""
        assert self.process.stdin is not None
        request = json.dumps({"event": event, "context": context}) + "\n"
        try:
            self.process.stdin.write(request.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the process is gone: _reply reports it
        reply = self._reply(self.spec.timeout)
        if "error" in reply:
            raise self._error(reply["error"])
        return reply["result"]

    def _reply(self, seconds: float) -> dict[str, Any]:
        try:
            reply = self._replies.get(timeout=seconds)
        except queue.Empty:
            self.kill()
            raise FunctionError(
                self.spec.function, "Sandbox.Timedout", f"Task timed out after {seconds:.2f} seconds"
            ) from None
        if reply is None:
            code = self.process.wait()
            raise FunctionError(
                self.spec.function, "Runtime.ExitError", f"Runtime exited with error: exit status {code}"
            )
        return reply

    def _error(self, error: dict[str, Any]) -> FunctionError:
        return FunctionError(
            self.spec.function, error["errorType"], error["errorMessage"], error["stackTrace"]
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()


class FunctionPool:
    """Up to `limit` environments of one function: idle ones reused, new ones cold-started, else wait."""

    def __init__(self, function: str, limit: int, spawn: Callable[[int], ExecutionEnvironment]):
        self.function = function
        self.limit = limit
        self._spawn = spawn  # starts an environment of the given generation and runs its init
        self._cond = threading.Condition()
        self._idle: list[ExecutionEnvironment] = []
        self._busy: set[ExecutionEnvironment] = set()
        self._starting = 0
        self._generation = 0
        self._closed = False

    @property
    def size(self) -> int:
        """Environments that exist or are starting."""
        with self._cond:
            return len(self._idle) + len(self._busy) + self._starting

    def acquire(self) -> tuple[ExecutionEnvironment, bool]:
        """An environment for one invocation, and whether it was cold-started for it."""
        with self._cond:
            while True:
                if self._closed:
                    raise FunctionError(self.function, "Local.Stopped", "the local stack is stopping")
                if self.limit < 1:  # ReservedConcurrentExecutions 0: Lambda throttles every invocation
                    raise FunctionError(self.function, "TooManyRequestsException", "Rate Exceeded.")
                if self._idle:
                    env = self._idle.pop()  # the most recently used: Lambda reuses warm ones
                    self._busy.add(env)
                    return env, False
                if len(self._busy) + self._starting < self.limit:
                    self._starting += 1
                    generation = self._generation
                    break
                self._cond.wait()
        env = None
        try:
            env = self._spawn(generation)
        finally:
            with self._cond:
                self._starting -= 1
                if env is not None:
                    self._busy.add(env)
                self._cond.notify()
        return env, True

    def release(self, env: ExecutionEnvironment) -> None:
        """Return an environment after an invocation; a dead, outdated or stopping one is ended."""
        with self._cond:
            self._busy.discard(env)
            keep = env.alive and env.generation == self._generation and not self._closed
            if keep:
                self._idle.append(env)
            self._cond.notify()
        if not keep:
            env.kill()

    def retire(self) -> None:
        """End the idle environments; busy ones end when released. The next invocations cold-start."""
        with self._cond:
            self._generation += 1
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for env in idle:
            env.kill()

    def close(self) -> None:
        """End every environment, busy ones too (their invocations fail); no new one starts."""
        with self._cond:
            self._closed = True
            envs = [*self._idle, *self._busy]
            self._idle = []
            self._cond.notify_all()
        for env in envs:
            env.kill()
