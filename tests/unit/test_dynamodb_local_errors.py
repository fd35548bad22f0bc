"""local.dynamodb_local says what to install when DynamoDB Local cannot start, and survives a taken port."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pytest

from local.dynamodb_local import (
    DynamoDBLocal,
    DynamoDBLocalError,
    PortTaken,
    find_jar,
    find_java,
    free_port,
    local_client,
)


def test_find_jar_asks_for_npm_install_when_node_modules_lacks_the_jar(tmp_path):
    with pytest.raises(DynamoDBLocalError, match="npm install"):
        find_jar(tmp_path)


def test_find_java_names_the_package_when_java_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DynamoDBLocalError, match="openjdk-17-jre-headless"):
        find_java()


def test_dynamodb_local_refuses_when_both_db_path_and_in_memory_are_asked(tmp_path):
    with pytest.raises(ValueError):
        DynamoDBLocal(db_path=tmp_path, in_memory=True)


def test_dynamodb_local_command_keeps_data_in_db_path_when_given(tmp_path):
    command = DynamoDBLocal(port=8123, db_path=tmp_path).command()
    assert command[-2:] == ["-dbPath", str(tmp_path)]
    assert ["-port", "8123"] == command[command.index("-port") : command.index("-port") + 2]
    assert "-sharedDb" in command and "-inMemory" not in command


needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="DynamoDB Local needs Java")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on (as a parallel test worker's server might)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@needs_java
@pytest.mark.dynamodb_local
def test_a_free_port_taken_before_java_binds_it_is_replaced_by_another(monkeypatch, taken_port):
    ports = iter([taken_port, free_port()])
    monkeypatch.setattr("local.dynamodb_local.free_port", lambda: next(ports))
    with DynamoDBLocal(in_memory=True) as ddb:
        assert ddb.port != taken_port
        assert local_client(ddb.endpoint_url).list_tables()["TableNames"] == []


@needs_java
@pytest.mark.dynamodb_local
def test_a_port_that_was_asked_for_is_not_replaced_when_taken(taken_port):
    with pytest.raises(PortTaken, match=f"port {taken_port}"):
        DynamoDBLocal(port=taken_port, in_memory=True).start()
