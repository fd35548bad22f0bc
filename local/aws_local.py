"""Local AWS: moto server for Secrets Manager (and SQS where `local.sqs_local` is not used), plus the
template's queues and tables.

`provision` creates every AWS::SQS::Queue (VisibilityTimeout, RedrivePolicy) and
AWS::DynamoDB::Table of the template and returns the Ref map (logical id ->
queue URL / table name, `<id>.Arn` -> ARN) that the function environments use.
`put_oauth_client` stores the deployment's OAuth client as the operator command line does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from secrets import token_urlsafe
from typing import Any, Self

import boto3
import httpx
from moto.server import ThreadedMotoServer

from local.dynamodb_local import create_tables
from local.template import Template

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class MotoServer:
    """moto's threaded server on 127.0.0.1; `port=0` picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566):
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.endpoint_url = ""

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # moto's state is per process, shared with any earlier server or mock_aws: start empty.
        httpx.post(f"{self.endpoint_url}/moto-api/reset").raise_for_status()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def client(service: str, endpoint_url: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region, **LOCAL_CREDENTIALS)


def create_queues(template: Template, sqs_endpoint: str) -> dict[str, str]:
    """Create the template's queues, dead-letter queues first; return their Refs and ARNs."""
    region = str(template.resolve({"Ref": "AWS::Region"}))
    sqs = client("sqs", sqs_endpoint, region)
    queues = template.queues()
    refs: dict[str, str] = {}
    ordered = sorted(queues, key=lambda logical_id: queues[logical_id]["dlq"] is not None)
    for logical_id in ordered:
        spec = queues[logical_id]
        attributes = {"VisibilityTimeout": str(spec["visibility_timeout"])}
        if spec["dlq"]:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": refs[f"{spec['dlq']}.Arn"],
                    "maxReceiveCount": spec["max_receive_count"],
                }
            )
        url = sqs.create_queue(QueueName=spec["name"], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        refs[logical_id] = url
        refs[f"{logical_id}.Arn"] = arn
    return refs


def create_tables_with_refs(template: Template, dynamodb_endpoint: str) -> dict[str, str]:
    """Create the template's tables (existing ones are kept); return their Refs and ARNs."""
    region = str(template.resolve({"Ref": "AWS::Region"}))
    account = str(template.resolve({"Ref": "AWS::AccountId"}))
    refs = {}
    for logical_id, name in create_tables(dynamodb_endpoint, template).items():
        refs[logical_id] = name
        refs[f"{logical_id}.Arn"] = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    return refs


def provision(template: Template, dynamodb_endpoint: str, sqs_endpoint: str) -> dict[str, str]:
    """Create tables and queues (on the local SQS or moto's); return the Ref map for the functions."""
    return create_tables_with_refs(template, dynamodb_endpoint) | create_queues(template, sqs_endpoint)


def save_secrets(moto_endpoint: str, region: str, path: Path) -> int:
    """Write every secret (name, value, description, tags) to `path`; moto keeps them only in memory."""
    secrets = client("secretsmanager", moto_endpoint, region)
    saved = []
    for page in secrets.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            value = secrets.get_secret_value(SecretId=entry["ARN"])
            saved.append(
                {
                    "Name": entry["Name"],
                    "SecretString": value.get("SecretString"),
                    "Description": entry.get("Description"),
                    "Tags": entry.get("Tags", []),
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=1))
    return len(saved)


def restore_secrets(moto_endpoint: str, region: str, path: Path) -> int:
    """Re-create the secrets saved by `save_secrets` (new ARNs, same names and values)."""
    if not path.exists():
        return 0
    secrets = client("secretsmanager", moto_endpoint, region)
    saved = json.loads(path.read_text())
    for entry in saved:
        kwargs = {key: value for key, value in entry.items() if value}
        secrets.create_secret(**kwargs)
    return len(saved)


def put_oauth_client(moto_endpoint: str, region: str, name: str, client_id: str, client_secret: str) -> str:
    """Store the deployment's OAuth client in secret `name` as `crmsync oauth-client set` does.

    Creates the secret with a new state-signing key; when it exists with another id or secret, updates
    them and keeps its key; otherwise leaves it alone. Returns "created", "updated" or "kept".
    """
    secrets_client = client("secretsmanager", moto_endpoint, region)
    try:
        stored = json.loads(secrets_client.get_secret_value(SecretId=name)["SecretString"])
    except secrets_client.exceptions.ResourceNotFoundException:
        stored = None
    value = {
        "client_id": client_id,
        "client_secret": client_secret,
        "state_key": (stored or {}).get("state_key") or token_urlsafe(32),
    }
    if stored is None:
        secrets_client.create_secret(
            Name=name,
            SecretString=json.dumps(value),
            Description="crmsync: the deployment's OAuth client at Zoho (client_id, client_secret, state_key)",
        )
        return "created"
    if stored == value:
        return "kept"
    secrets_client.put_secret_value(SecretId=name, SecretString=json.dumps(value))
    return "updated"
