"""local.dynamodb_local says what to install when DynamoDB Local cannot start."""

from __future__ import annotations

import pytest

from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, find_jar, find_java


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
