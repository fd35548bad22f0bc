"""Where the deployment is: its table and queues, found from the CloudFormation stack's outputs
(`--stack-name`), the local stack (`--local`), or the names template.yaml gives a stage (`--stage`).

The names follow template.yaml (`crmsync-<stage>`, `crmsync-sync-<stage>`, ...); a test checks them
against it. TABLE_NAME, SYNC_QUEUE_URL and AUTOMATION_QUEUE_URL in the environment win over names
derived from the stage, as for the functions themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# The local stack (`make dev`, local/README.md): DynamoDB Local, its SQS, moto server (Secrets Manager).
LOCAL_DYNAMODB = "http://127.0.0.1:8000"
LOCAL_SQS = "http://127.0.0.1:9324"
LOCAL_AWS = "http://127.0.0.1:4566"
LOCAL_REGION = "us-east-1"  # the region template.yaml resolves to locally
LOCAL_STAGE = "dev"

# Queue group -> (output of the source queue, output of its dead-letter queue) in template.yaml.
QUEUE_OUTPUTS = {
    "sync": ("SyncQueueUrl", "SyncDeadLetterQueueUrl"),
    "automation": ("AutomationQueueUrl", "AutomationDeadLetterQueueUrl"),
}
QUEUE_ENV = {"sync": "SYNC_QUEUE_URL", "automation": "AUTOMATION_QUEUE_URL"}


def table_name(stage: str) -> str:
    return f"crmsync-{stage}"


def queue_names(stage: str, queue: str) -> tuple[str, str]:
    """(source queue name, dead-letter queue name) of a queue group, as template.yaml names them."""
    return f"crmsync-{queue}-{stage}", f"crmsync-{queue}-dlq-{stage}"


class TargetError(RuntimeError):
    """The deployment cannot be found (no such stack, an output missing, a queue missing)."""


@dataclass
class Target:
    """One deployment. Queue URLs are looked up (GetQueueUrl) only when a command needs them."""

    stage: str
    table: str
    outputs: Mapping[str, str] = field(default_factory=dict)
    env_urls: Mapping[str, str] = field(default_factory=dict)  # queue group -> URL from the environment
    _urls: dict[str, str] = field(default_factory=dict)

    @property
    def secret_prefix(self) -> str:
        return f"crmsync/{self.stage}/integrations/"

    @property
    def oauth_client_secret(self) -> str:
        return f"crmsync/{self.stage}/oauth-client"

    def queue_url(self, queue: str) -> str:
        return self._url(queue, dead_letters=False)

    def dead_letter_queue_url(self, queue: str) -> str:
        return self._url(queue, dead_letters=True)

    def _url(self, queue: str, *, dead_letters: bool) -> str:
        output = QUEUE_OUTPUTS[queue][dead_letters]
        if output in self._urls:
            return self._urls[output]
        url = self.outputs.get(output) or (None if dead_letters else self.env_urls.get(queue))
        if not url:
            if self.outputs:
                raise TargetError(f"the stack has no {output} output")
            name = queue_names(self.stage, queue)[dead_letters]
            url = _sqs_client().get_queue_url(QueueName=name)["QueueUrl"]
        self._urls[output] = url
        return url


def _sqs_client() -> Any:
    import boto3

    return boto3.client("sqs")


def stack_outputs(stack_name: str) -> dict[str, str]:
    """The stack's outputs (OutputKey -> OutputValue), read with DescribeStacks."""
    import boto3
    from botocore.exceptions import ClientError

    try:
        stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        raise TargetError(f"cannot read stack {stack_name}: {exc.response['Error'].get('Message', exc)}") from None
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def environment_for(*, local: bool, region: str | None, profile: str | None) -> dict[str, str]:
    """The process environment a command runs with: the region and profile asked for, and for
    `--local` the local endpoints (AWS_ENDPOINT_URL_* already set win) and dummy credentials."""
    changes: dict[str, str] = {}
    if profile:
        changes["AWS_PROFILE"] = profile
    if region:
        changes["AWS_DEFAULT_REGION"] = region
    if local:
        defaults = {
            "AWS_ENDPOINT_URL_DYNAMODB": LOCAL_DYNAMODB,
            "AWS_ENDPOINT_URL_SQS": LOCAL_SQS,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": LOCAL_AWS,
            "AWS_DEFAULT_REGION": region or LOCAL_REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
        changes |= {key: value for key, value in defaults.items() if not os.environ.get(key)}
    return changes


@contextmanager
def environment(changes: Mapping[str, str]) -> Iterator[None]:
    """Apply `changes` to os.environ for the command, and put everything back after it."""
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def resolve(*, stack_name: str | None, stage: str | None, local: bool) -> Target:
    """The deployment the command acts on (call inside `environment(...)`)."""
    if stack_name:
        outputs = stack_outputs(stack_name)
        if "TableName" not in outputs:
            raise TargetError(f"stack {stack_name} has no TableName output: is it a crmsync stack?")
        table = outputs["TableName"]
        return Target(stage=_stage_of(table) or stage or LOCAL_STAGE, table=table, outputs=outputs)
    stage = stage or os.environ.get("STAGE") or LOCAL_STAGE
    env_urls = {queue: os.environ[name] for queue, name in QUEUE_ENV.items() if os.environ.get(name)}
    table = os.environ.get("TABLE_NAME") or table_name(stage)
    return Target(stage=stage, table=table, env_urls=env_urls)


def _stage_of(table: str) -> str | None:
    return table.removeprefix("crmsync-") if table.startswith("crmsync-") else None
