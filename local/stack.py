"""The whole product on this machine: `python -m local.stack` (`make dev`), or `LocalStack` in code.

Starts DynamoDB Local, the local SQS (`local.sqs_local`), moto server (Secrets Manager),
the template's tables and queues, a demo tenant with an API key, the vendor sandboxes (when their
packages exist), the API gateway, the scheduler and the queue pump, and sets up
the deployment's OAuth client (the CRM sandbox's, so "Connect with Zoho" runs
locally); stops all of them on exit, Ctrl-C or SIGTERM. See local/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import threading
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

import httpx

from local.aws_local import MotoServer, provision, put_oauth_client, restore_secrets, save_secrets
from local.dynamodb_local import DynamoDBLocal
from local.gateway import Gateway
from local.invoker import Invoker
from local.queue_pump import QueuePump
from local.sandboxes.common import ServerThread, run_in_thread
from local.scheduler import Scheduler
from local.sqs_local import SqsLocal
from local.template import ROOT, Template

HOST = "127.0.0.1"
DEFAULT_PORTS = {"api": 3000, "dynamodb": 8000, "moto": 4566, "sqs": 9324, "crm": 8081, "inventory": 8082}
DATA_DIR = ROOT / ".local-data"
KEY_FILE = ROOT / ".local" / "demo-api-key"
DEMO_TENANT = "Demo tenant"
LOCAL_PARAMETERS = {"AllowCustomEndpoints": "true"}
OAUTH_CALLBACK_PATH = "/oauth/callback"
OAUTH_CLIENT_NAME = "crmsync (local stack)"  # what the consent page says is asking

log = logging.getLogger("local.stack")


def start_sandbox(name: str, port: int) -> ServerThread | None:
    """Serve `local.sandboxes.<name>.create_app()` on `port`; None while that package does not exist."""
    module_name = f"local.sandboxes.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise
    if not hasattr(module, "create_app"):
        return None
    return run_in_thread(module.create_app(), HOST, port)


def reset_layer_container() -> None:
    """Make the shared layer re-read the environment, as a fresh Lambda sandbox would."""
    from crmsync.runtime.container import reset_container

    reset_container()


class LocalStack:
    """Everything local, started in `start()` (or `with`) and stopped in reverse order by `stop()`.

    `in_memory=True` keeps DynamoDB in memory and writes nothing to disk (tests,
    demo); otherwise DynamoDB data and a snapshot of the secrets live under
    `data_dir` and survive a restart. `free_ports=True` takes free ports for
    everything, so it never clashes with a running `make dev`. `env_vars` and `concurrency` go to
    the `Invoker` (a benchmark's scaled vendor limits, its number of sync workers), and so do
    `function_timeouts` (seconds in place of a function's Timeout: a fault test's short sync worker).
    """

    def __init__(
        self,
        *,
        ports: dict[str, int] | None = None,
        free_ports: bool = False,
        in_memory: bool = False,
        data_dir: Path = DATA_DIR,
        key_file: Path | None = None,
        parameter_overrides: dict[str, str] | None = None,
        schedule_seconds: float | None = None,
        retry_delay: int = 2,
        sandboxes: bool = True,
        env_vars: dict[str, dict[str, str]] | None = None,
        concurrency: dict[str, int] | None = None,
        invocation_history: int = 1000,
        function_timeouts: dict[str, int] | None = None,
    ):
        self.ports = {name: 0 for name in DEFAULT_PORTS} if free_ports else DEFAULT_PORTS | (ports or {})
        self.in_memory = in_memory
        self.data_dir = data_dir
        self.key_file = key_file if key_file or in_memory else KEY_FILE
        self.template = Template(parameter_overrides=LOCAL_PARAMETERS | (parameter_overrides or {}))
        self.schedule_seconds = schedule_seconds
        self.retry_delay = retry_delay
        self.with_sandboxes = sandboxes
        self.invocation_history = invocation_history  # how many of the latest `invocations` are kept
        self.env_vars = env_vars
        self.concurrency = concurrency
        self.function_timeouts = function_timeouts
        self.endpoints: dict[str, str] = {}
        self.refs: dict[str, str] = {}
        self.api_key = ""
        self.oauth_client: dict[str, Any] | None = None  # set up on start when the CRM sandbox runs
        self._exit = ExitStack()

    # ------------------------------------------------------------ public API
    @property
    def api_url(self) -> str:
        return self.endpoints["api"]

    @property
    def console_url(self) -> str:
        return f"{self.endpoints['api']}/console"

    @property
    def queue_urls(self) -> dict[str, str]:
        return {logical_id: self.refs[logical_id] for logical_id in self.template.queues()}

    @property
    def invocations(self) -> list[dict[str, Any]]:
        return self.invoker.invocations_as_dicts()

    def new_tenant_key(self, name: str) -> str:
        """A new tenant and its API key, made the way the operator command line makes them."""
        from crmsync.runtime.container import Container

        with self.invoker.function_environment(self.template.authorizer_function):
            tenants = Container.from_env().tenants
            tenant = tenants.create_tenant(name)
            _, key = tenants.issue_key(tenant.tenant_id)
        return key

    def fire(self, function: str) -> Any:
        return self.scheduler.fire_now(function)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._exit.close()

    # ------------------------------------------------------------ start-up
    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        exit_stack = self._exit
        saved_env = dict(os.environ)
        exit_stack.callback(_restore_environ, saved_env)
        exit_stack.callback(reset_layer_container)

        dynamodb = self._dynamodb()
        exit_stack.enter_context(dynamodb)
        moto = exit_stack.enter_context(MotoServer(HOST, self.ports["moto"]))
        region = str(self.template.resolve({"Ref": "AWS::Region"}))
        account = str(self.template.resolve({"Ref": "AWS::AccountId"}))
        sqs = exit_stack.enter_context(SqsLocal(region, HOST, self.ports["sqs"], account))
        self.endpoints |= {
            "dynamodb": dynamodb.endpoint_url,
            "moto": moto.endpoint_url,
            "sqs": sqs.endpoint_url,
        }
        self._set_process_environment()
        if not self.in_memory:
            restore_secrets(moto.endpoint_url, region, self.data_dir / "secrets.json")
            exit_stack.callback(save_secrets, moto.endpoint_url, region, self.data_dir / "secrets.json")

        self.refs = provision(self.template, dynamodb.endpoint_url, sqs.endpoint_url)
        reset_layer_container()
        self.invoker = Invoker(
            self.template,
            self.refs,
            history=self.invocation_history,
            env_vars=self.env_vars,
            concurrency=self.concurrency,
            timeouts=self.function_timeouts,
        )
        exit_stack.callback(self.invoker.stop)  # after the pump, scheduler and gateway; before moto
        self.api_key = self._demo_api_key()

        sandboxes: dict[str, ServerThread] = {}
        if self.with_sandboxes:
            for name in ("crm", "inventory"):
                server = start_sandbox(name, self.ports[name])
                if server:
                    exit_stack.callback(server.stop)
                    self.endpoints[name] = server.base_url
                    sandboxes[name] = server

        self.scheduler = Scheduler(self.template, self.invoker, self.schedule_seconds)
        self.pump = QueuePump(self.template, self.invoker, self.refs, sqs.endpoint_url, self.retry_delay)
        gateway = run_in_thread(
            Gateway(self.template, self.invoker, self.scheduler).app, HOST, self.ports["api"]
        )
        exit_stack.callback(gateway.stop)
        self.endpoints["api"] = gateway.base_url
        if "crm" in sandboxes:
            self.oauth_client = self._set_up_oauth_client(sandboxes["crm"], moto.endpoint_url, region)
        exit_stack.callback(self.pump.stop)
        self.pump.start()
        exit_stack.callback(self.scheduler.stop)
        self.scheduler.start()

    def _dynamodb(self) -> DynamoDBLocal:
        if self.in_memory:
            return DynamoDBLocal(port=self.ports["dynamodb"], in_memory=True)
        db_path = self.data_dir / "dynamodb"
        db_path.mkdir(parents=True, exist_ok=True)
        return DynamoDBLocal(port=self.ports["dynamodb"], db_path=db_path)

    def _set_process_environment(self) -> None:
        """What every handler needs before it loads: local endpoints, a region, dummy credentials."""
        os.environ.update(
            AWS_ENDPOINT_URL_DYNAMODB=self.endpoints["dynamodb"],
            AWS_ENDPOINT_URL_SQS=self.endpoints["sqs"],
            AWS_ENDPOINT_URL_SECRETS_MANAGER=self.endpoints["moto"],
            AWS_DEFAULT_REGION=str(self.template.resolve({"Ref": "AWS::Region"})),
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            POWERTOOLS_TRACE_DISABLED="true",
        )
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # EMF lines would flood the console

    def _demo_api_key(self) -> str:
        """The key in `key_file` if it still resolves to a tenant; else a new key for the demo tenant."""
        from crmsync.runtime.container import Container

        with self.invoker.function_environment(self.template.authorizer_function):
            tenants = Container.from_env().tenants
            if self.key_file and self.key_file.exists():
                key = self.key_file.read_text().strip()
                if key and tenants.resolve_key(key):
                    return key
            demo = [t for t in tenants.list_tenants() if t.name == DEMO_TENANT]
            tenant = demo[0] if demo else tenants.create_tenant(DEMO_TENANT)
            _, key = tenants.issue_key(tenant.tenant_id)
        if self.key_file:
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            self.key_file.write_text(key + "\n")
        return key

    def _set_up_oauth_client(self, crm: ServerThread, moto_endpoint: str, region: str) -> dict[str, Any]:
        """The deployment's OAuth client, set up as an operator does it (README: registering the OAuth
        client), so that the one-click connect runs locally with no manual step.

        The CRM sandbox's client (the same on every start) gets this API's callback as its redirect
        URI through the sandbox's API console route, also under `localhost`, the name a browser may
        use; its id and secret go to Secrets Manager as `crmsync oauth-client set` stores them.
        Idempotent: a restart keeps the stored secret and its state-signing key.
        """
        client = crm.app.state.sandbox.oauth.client  # the sandbox runs in this process
        callback = f"{self.endpoints['api']}{OAUTH_CALLBACK_PATH}"
        redirect_uris = [callback, callback.replace(f"//{HOST}:", "//localhost:", 1)]
        registered = httpx.put(
            f"{crm.base_url}/_sandbox/oauth/clients/{client.client_id}",
            json={"name": OAUTH_CLIENT_NAME, "redirect_uris": redirect_uris},
            timeout=10,
        )
        registered.raise_for_status()
        secret_name = self._oauth_client_secret_name()
        stored = put_oauth_client(moto_endpoint, region, secret_name, client.client_id, client.client_secret)
        log.info("OAuth client %s %s in %s", client.client_id, stored, secret_name)
        return {"client_id": client.client_id, "secret_name": secret_name, "redirect_uris": redirect_uris}

    def _oauth_client_secret_name(self) -> str:
        """`OAUTH_CLIENT_SECRET_NAME` as the functions get it (`crmsync/<stage>/oauth-client`)."""
        for function in self.template.functions:
            if name := self.invoker.environment(function).get("OAUTH_CLIENT_SECRET_NAME"):
                return name
        raise RuntimeError("no function of template.yaml has OAUTH_CLIENT_SECRET_NAME")

    def describe(self) -> str:
        """A table of what runs where."""
        rows = [
            ("API (gateway, Lambda handlers)", self.endpoints["api"]),
            ("console", self.console_url),
            ("Swagger UI", f"{self.endpoints['api']}/docs"),
            ("DynamoDB Local", self.endpoints["dynamodb"] + ("  (in memory)" if self.in_memory else "")),
            ("SQS (local.sqs_local)", self.endpoints["sqs"]),
            ("moto server: Secrets Manager", self.endpoints["moto"]),
        ]
        rows += [
            (f"{name} sandbox", self.endpoints[name])
            for name in ("crm", "inventory")
            if name in self.endpoints
        ]
        rows += [(f"schedule {fn}", f"every {seconds:g} s") for fn, seconds in self.scheduler.rates.items()]
        rows += [
            (
                f"queue {s.queue} -> {s.function}",
                f"batches of {s.batch_size}, {self.pump.concurrency(s)} at once",
            )
            for s in self.template.queue_sources
        ]
        rows += [
            (f"function {fn}", f"up to {self.invoker.concurrency(fn)} execution environments")
            for fn in self.template.functions
        ]
        if self.oauth_client:
            rows.append(
                (
                    "OAuth client (Connect with Zoho)",
                    f"{self.oauth_client['client_id']} in {self.oauth_client['secret_name']}, "
                    f"redirect URI {self.oauth_client['redirect_uris'][0]}",
                )
            )
        rows.append(("demo API key", self.api_key + (f"  (in {self.key_file})" if self.key_file else "")))
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"  {name.ljust(width)}  {where}" for name, where in rows)


def _restore_environ(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--in-memory", action="store_true", help="keep nothing on disk")
    parser.add_argument("--free-ports", action="store_true", help="free ports instead of 3000, 8000, ...")
    parser.add_argument("--schedule-seconds", type=float, help="fire scheduled functions this often")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    # Printed by Powertools on every invocation that records no metric; noise on a console.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    os.environ["PYTHONWARNINGS"] = "ignore:No application metrics to publish"  # the environments' too

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    options = {
        "in_memory": args.in_memory,
        "free_ports": args.free_ports,
        "schedule_seconds": args.schedule_seconds,
    }
    with LocalStack(**options) as stack:
        print(f"crmsync local stack is up:\n{stack.describe()}", flush=True)
        where = f" (also in {stack.key_file})" if stack.key_file else ""
        print(
            f"Open the console at {stack.console_url} and sign in with the demo API key{where}.", flush=True
        )
        print("Ctrl-C stops everything.", flush=True)
        while not stopping.wait(1):
            pass
        print("Stopping...", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
