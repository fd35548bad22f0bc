import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from crmsync.adapters.secrets import SecretsManagerCredentialStore
from crmsync.ports.secrets import IntegrationCredentials


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    parameters.clear_caches()
    with mock_aws():
        yield boto3.client("secretsmanager")
    parameters.clear_caches()


def credentials(refresh_token: str = "1000.crm-refresh") -> IntegrationCredentials:
    return IntegrationCredentials.model_validate(
        {
            "crm": {
                "client_id": "1000.C",
                "client_secret": "crm-secret",
                "refresh_token": refresh_token,
                "data_center": "eu",
            },
            "inventory": {
                "client_id": "1000.I",
                "client_secret": "inv-secret",
                "refresh_token": "1000.inv-refresh",
                "data_center": "eu",
                "base_url": "http://127.0.0.1:8082",
            },
        }
    )


def test_credentials_round_trip_under_the_prefixed_name(aws):
    store = SecretsManagerCredentialStore("crmsync/dev/")

    store.put("int-1", credentials())

    stored = json.loads(aws.get_secret_value(SecretId="crmsync/dev/int-1")["SecretString"])
    assert stored["crm"]["refresh_token"] == "1000.crm-refresh"
    assert store.get("int-1") == credentials()
    assert store.get("int-1").inventory.base_url == "http://127.0.0.1:8082"


def test_reads_are_served_from_cache_within_max_age(aws):
    store = SecretsManagerCredentialStore("crmsync/dev/", max_age=300)
    store.put("int-1", credentials())
    store.get("int-1")

    aws.put_secret_value(SecretId="crmsync/dev/int-1", SecretString=json.dumps({"changed": "elsewhere"}))

    assert store.get("int-1") == credentials()


def test_replaced_credentials_are_read_back_when_put_again(aws):
    store = SecretsManagerCredentialStore("crmsync/dev/")
    store.put("int-1", credentials())
    store.get("int-1")

    store.put("int-1", credentials("1000.new-refresh"))

    assert store.get("int-1").crm.refresh_token.get_secret_value() == "1000.new-refresh"


def test_deleted_credentials_are_gone_at_once(aws):
    store = SecretsManagerCredentialStore("crmsync/dev/")
    store.put("int-1", credentials())
    store.get("int-1")

    store.delete("int-1")

    with pytest.raises(KeyError):
        store.get("int-1")
    store.delete("int-1")  # deleting again is no error
    assert aws.list_secrets()["SecretList"] == []


def test_missing_credentials_raise_key_error(aws):
    with pytest.raises(KeyError):
        SecretsManagerCredentialStore("crmsync/dev/").get("nope")


def test_secrets_are_masked_when_credentials_are_printed():
    assert "crm-secret" not in repr(credentials()) and "1000.crm-refresh" not in str(credentials())
