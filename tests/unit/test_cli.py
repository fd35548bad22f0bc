"""The operator command line `crmsync` against moto (issue 12 point 4): tenants and keys, integrations
across tenants, runs and failures, sync now, pause and resume, dead letters, the OAuth client, and
`--stack-name` reading the stack's outputs."""

from __future__ import annotations

import argparse
import io
import json
import uuid
from datetime import UTC, datetime

import boto3
import pytest

from crmsync import admin
from crmsync.cli import dead_letters, main, target
from crmsync.contracts.queues import SyncMessage
from crmsync.domain.models import (
    CrmSource,
    Integration,
    IntegrationState,
    Module,
    ModulePreferences,
    ModuleSettings,
    Role,
    Side,
)
from crmsync.domain.sync_state import Failure
from local.template import Template


@pytest.fixture(autouse=True)
def short_polls(monkeypatch):
    monkeypatch.setattr(dead_letters, "LONG_POLL_SECONDS", 0)  # moto answers every visible message at once


def crmsync(*argv: str, expect: int = 0) -> str:
    out = io.StringIO()
    assert main.main(list(argv), out=out) == expect, out.getvalue()
    return out.getvalue()


def crmsync_json(*argv: str, expect: int = 0):
    return json.loads(crmsync(*argv, "--json", expect=expect))


def connected(aws, tenant_id: str, *, configured: bool = True) -> Integration:
    now = datetime.now(UTC)
    integration = aws.store.create_integration(Integration(
        integration_id=f"int-{uuid.uuid4().hex[:8]}", tenant_id=tenant_id, role=Role.PRIMARY,
        crm_org_id=uuid.uuid4().hex[:10], inventory_org_id=uuid.uuid4().hex[:10], crm_data_center="com",
        inventory_data_center="com", two_way=True, created_at=now, updated_at=now,
    ))
    if configured:
        aws.store.save_module_settings(ModulePreferences(
            integration_id=integration.integration_id, module=Module.CUSTOMERS,
            settings=ModuleSettings(crm_source=CrmSource.ACCOUNTS),
        ))
    return integration


def queue_messages(url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) if m["Body"].startswith("{") else m["Body"] for m in messages]


def dlq_url(name: str) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=f"crmsync-{name}-dlq-dev")["QueueUrl"]


# ------------------------------------------------------------------ tenants and keys
def test_tenant_is_created_listed_given_a_key_that_resolves_and_revoked(aws):
    tenant = crmsync_json("create-tenant", "--name", "Café Münster GmbH")
    issued = crmsync_json("issue-key", "--tenant", tenant["tenant_id"])

    assert aws.tenants.resolve_key(issued["api_key"]) == tenant["tenant_id"]
    assert [t["name"] for t in crmsync_json("list-tenants")["tenants"]] == ["Café Münster GmbH"]
    assert "Café Münster GmbH" in crmsync("list-tenants")

    crmsync("revoke-key", "--tenant", tenant["tenant_id"], "--key-id", issued["key_id"])
    assert aws.tenants.resolve_key(issued["api_key"]) is None


def test_key_is_printed_once_in_text_too(aws):
    tenant = aws.tenants.create_tenant("Acme")

    printed = crmsync("issue-key", "--tenant", tenant.tenant_id)

    raw_key = printed.rsplit(" ", 1)[1].strip()
    assert "shown once" in printed and aws.tenants.resolve_key(raw_key) == tenant.tenant_id


def test_unknown_tenant_is_an_error_with_exit_code_2(aws, capsys):
    assert main.main(["issue-key", "--tenant", "nope"], out=io.StringIO()) == 2
    assert "no tenant nope" in capsys.readouterr().err


def test_crmsync_admin_is_an_alias(aws, capsys):
    assert admin.main(["create-tenant", "--name", "Acme"]) == 0
    assert "created tenant" in capsys.readouterr().out


# ------------------------------------------------------------------ integrations
def test_integrations_are_listed_across_tenants_or_for_one(aws):
    acme, globex = aws.tenants.create_tenant("Acme"), aws.tenants.create_tenant("Globex")
    first, second = connected(aws, acme.tenant_id), connected(aws, globex.tenant_id, configured=False)

    every = crmsync_json("integrations", "list")["integrations"]
    only_acme = crmsync_json("integrations", "list", "--tenant", acme.tenant_id)["integrations"]

    assert {(i["integration_id"], i["tenant_id"]) for i in every} == {
        (first.integration_id, acme.tenant_id), (second.integration_id, globex.tenant_id)}
    assert [i["integration_id"] for i in only_acme] == [first.integration_id]
    assert only_acme[0]["modules"][0]["module"] == "customers"
    table = crmsync("integrations", "list")
    assert first.integration_id in table and "customers:never_synced" in table
    assert crmsync_json("integrations", "list", "--state", "paused")["integrations"] == []


def test_status_shows_state_modules_last_run_and_open_failures(aws):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    [run] = crmsync_json("integrations", "sync-now", integration.integration_id)["runs"]
    aws.store.record_failures([Failure(
        integration_id=integration.integration_id, run_id=run["run_id"], module=Module.CUSTOMERS, side=Side.CRM,
        record_id="5725767000000001", reason="inventory refused: the name is too long",
        first_seen=datetime.now(UTC), last_seen=datetime.now(UTC),
    )])

    status = crmsync_json("integrations", "status", integration.integration_id)

    assert status["state"] == "active" and status["tenant_id"] == integration.tenant_id
    assert status["modules"][0]["last_run_id"] == run["run_id"]
    assert status["last_runs"]["customers"]["status"] == "queued"
    assert status["open_failures"] == "1"
    text = crmsync("integrations", "status", integration.integration_id)
    assert "open failures 1" in text and run["run_id"] in text


def test_runs_and_failures_of_an_integration(aws):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    [run] = crmsync_json("integrations", "sync-now", integration.integration_id)["runs"]
    failure = Failure(
        integration_id=integration.integration_id, run_id=run["run_id"], module=Module.CUSTOMERS,
        side=Side.INVENTORY, record_id="4815000000044001", reason="duplicate contact name",
        first_seen=datetime.now(UTC), last_seen=datetime.now(UTC),
    )
    aws.store.record_failures([failure])

    [listed] = crmsync_json("integrations", "runs", integration.integration_id)["runs"]
    open_failures = crmsync_json("integrations", "failures", integration.integration_id)["failures"]
    of_run = crmsync_json("integrations", "failures", integration.integration_id, "--run", run["run_id"])["failures"]

    assert (listed["run_id"], listed["trigger"], listed["status"]) == (run["run_id"], "manual", "queued")
    assert (listed["progress"]["phase"], listed["progress"]["read"]) == ("crm:Accounts", 0)
    assert "failures" not in listed  # a run's failures are listed on their own: failures --run
    assert [f["record_id"] for f in open_failures] == [f["record_id"] for f in of_run] == ["4815000000044001"]
    assert of_run[0]["reason"] == "duplicate contact name"
    assert main.main(["integrations", "failures", integration.integration_id, "--run", "r-unknown"],
                     out=io.StringIO()) == 2
    assert crmsync_json("integrations", "failures", integration.integration_id, "--module", "items")["failures"] == []
    assert "duplicate contact name" in crmsync("integrations", "failures", integration.integration_id)


def test_sync_now_queues_a_run_message_as_the_api_does(aws):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)

    [run] = crmsync_json("integrations", "sync-now", integration.integration_id, "--module", "customers")["runs"]

    [message] = queue_messages(aws.settings.sync_queue_url)
    assert SyncMessage.model_validate(message).run_id == run["run_id"]
    assert (message["integration_id"], message["module"], message["trigger"]) == (
        integration.integration_id, "customers", "manual")


def test_retry_failures_queues_a_retry_run_when_there_are_many_as_the_api_does(aws, capsys):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    iid, now = integration.integration_id, datetime.now(UTC)
    assert crmsync("integrations", "retry-failures", iid) == "retried 0: 0 synced, 0 still failing\n"
    aws.store.record_failures([Failure(
        integration_id=iid, run_id="r-0", module=Module.CUSTOMERS, side=Side.CRM, record_id=f"57257670000{n:05}",
        reason="inventory refused the customer", first_seen=now, last_seen=now,
    ) for n in range(26)])

    [run] = crmsync_json("integrations", "retry-failures", iid, "--module", "customers")["runs"]

    [message] = queue_messages(aws.settings.sync_queue_url)
    assert (run["module"], run["status"], message["run_id"], message["trigger"]) == (
        "customers", "queued", run["run_id"], "retry")
    assert aws.store.get_run(iid, run["run_id"]).phase == "retry:crm"
    crmsync("integrations", "retry-failures", iid, "--record", "5725767000000001", expect=2)
    assert "--record needs --module" in capsys.readouterr().err


def test_sync_now_refuses_a_paused_integration_with_the_api_reason(aws, capsys):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    crmsync("integrations", "pause", integration.integration_id)

    crmsync("integrations", "sync-now", integration.integration_id, expect=2)

    assert "paused" in capsys.readouterr().err
    assert queue_messages(aws.settings.sync_queue_url) == []


def test_pause_and_resume_the_integration_or_one_module(aws):
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    iid = integration.integration_id

    assert crmsync_json("integrations", "pause", iid)["state"] == "paused"
    assert aws.store.get_integration(iid).state is IntegrationState.PAUSED
    assert crmsync_json("integrations", "resume", iid)["state"] == "active"
    paused = crmsync_json("integrations", "pause", iid, "--module", "customers")
    assert paused["state"] == "active" and paused["modules"][0]["paused"] is True
    assert "resumed modules customers" in crmsync("integrations", "resume", iid, "--module", "customers")
    assert aws.store.get_module(iid, Module.CUSTOMERS).paused is False
    activity = [e.kind for e in aws.store.list_activity(iid, limit=10).items]
    assert {"integration_paused", "integration_resumed", "modules_paused", "modules_resumed"} <= set(activity)


def test_unknown_integration_is_an_error(aws, capsys):
    crmsync("integrations", "status", "int-nope", expect=2)
    assert "no integration int-nope" in capsys.readouterr().err


# ------------------------------------------------------------------ dead letters
def dead_letter(url: str, body: str) -> str:
    return boto3.client("sqs").send_message(QueueUrl=url, MessageBody=body)["MessageId"]


def stale_step(integration_id: str = "int-gone") -> str:
    return SyncMessage(integration_id=integration_id, module="customers", trigger="schedule",
                       run_id="run-1", step=3).model_dump_json()


def test_dead_letters_are_listed_per_queue_and_stay_in_the_queue(aws):
    step = dead_letter(dlq_url("sync"), stale_step())
    junk = dead_letter(dlq_url("sync"), "not json at all")
    deal = dead_letter(dlq_url("automation"), json.dumps(
        {"integration_id": "int-1", "deal_id": "5725767000000777", "operation": "update", "server_time": 1}))

    queues = {q["queue"]: q for q in crmsync_json("dead-letters", "list")["queues"]}

    sync = {m["message_id"]: m for m in queues["sync"]["messages"]}
    assert set(sync) == {step, junk} and queues["sync"]["approximate_count"] == 2
    assert (sync[step]["kind"], sync[step]["integration_id"], sync[step]["subject"]) == ("sync", "int-gone", "run-1")
    assert sync[junk]["kind"] == "unreadable"
    [automation] = queues["automation"]["messages"]
    assert (automation["message_id"], automation["kind"], automation["subject"]) == (
        deal, "deal_event", "5725767000000777")
    # looking does not hide them: a second look sees the same
    again = crmsync_json("dead-letters", "list", "--queue", "sync")["queues"]
    assert {m["message_id"] for m in again[0]["messages"]} == {step, junk}
    assert "sync dead-letter queue: about 2 message(s)" in crmsync("dead-letters", "list")


def test_dead_letter_is_shown_in_full(aws):
    step = dead_letter(dlq_url("sync"), stale_step())

    shown = crmsync_json("dead-letters", "show", step)

    assert shown["body"]["run_id"] == "run-1" and shown["attributes"]["ApproximateReceiveCount"]
    assert '"run_id": "run-1"' in crmsync("dead-letters", "show", step, "--queue", "sync")
    crmsync("dead-letters", "show", "no-such-message", expect=2)


def test_redrive_dry_run_moves_nothing(aws):
    first = dead_letter(dlq_url("sync"), stale_step("int-a"))
    second = dead_letter(dlq_url("sync"), stale_step("int-b"))

    result = crmsync_json("dead-letters", "redrive", "--queue", "sync", "--dry-run")

    assert result["dry_run"] is True
    assert {m["message_id"] for m in result["messages"]} == {first, second}
    assert queue_messages(aws.settings.sync_queue_url) == []
    assert len(queue_messages(dlq_url("sync"))) == 2


def test_redrive_sends_one_message_or_all_back_to_the_source_queue(aws):
    first = dead_letter(dlq_url("sync"), stale_step("int-a"))
    dead_letter(dlq_url("sync"), stale_step("int-b"))

    one = crmsync_json("dead-letters", "redrive", "--queue", "sync", "--message-id", first)
    assert [m["message_id"] for m in one["messages"]] == [first]
    assert [m["integration_id"] for m in queue_messages(aws.settings.sync_queue_url)] == ["int-a"]
    assert [m["integration_id"] for m in queue_messages(dlq_url("sync"))] == ["int-b"]

    rest = crmsync("dead-letters", "redrive", "--queue", "sync")
    assert "sent 1 message(s)" in rest
    assert sorted(m["integration_id"] for m in queue_messages(aws.settings.sync_queue_url)) == ["int-a", "int-b"]
    assert queue_messages(dlq_url("sync")) == []


def test_redrive_of_a_message_that_is_not_there_says_so(aws):
    dead_letter(dlq_url("automation"), stale_step())

    result = crmsync_json("dead-letters", "redrive", "--queue", "automation", "--message-id", "nope", expect=1)

    assert result["messages"] == [] and result["not_found"] == ["nope"]
    assert len(queue_messages(dlq_url("automation"))) == 1


# ------------------------------------------------------------------ the OAuth client
def test_oauth_client_is_stored_as_the_consent_flow_reads_it(aws, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("zoho-client-secret\n")

    crmsync("oauth-client", "set", "--client-id", "1000.ABC", "--client-secret-file", str(secret_file))
    shown = crmsync_json("oauth-client", "show")

    stored = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId="crmsync/dev/oauth-client")["SecretString"])
    assert stored["client_id"] == "1000.ABC" and stored["client_secret"] == "zoho-client-secret"
    assert len(stored["state_key"]) >= 32
    assert shown["client_id"] == "1000.ABC" and shown["client_secret_set"] and "zoho-client-secret" not in str(shown)

    crmsync("oauth-client", "set", "--client-id", "1000.DEF", "--client-secret-file", str(secret_file))
    again = json.loads(boto3.client("secretsmanager").get_secret_value(
        SecretId="crmsync/dev/oauth-client")["SecretString"])
    assert again["client_id"] == "1000.DEF" and again["state_key"] == stored["state_key"]  # kept unless rotated


# ------------------------------------------------------------------ where the deployment is
def test_stack_name_finds_the_table_and_queues_from_the_stack_outputs(aws):
    sqs = boto3.client("sqs")
    outputs = {
        "TableName": aws.settings.table_name,
        "SyncQueueUrl": aws.settings.sync_queue_url,
        "AutomationQueueUrl": aws.settings.automation_queue_url,
        "SyncDeadLetterQueueUrl": dlq_url("sync"),
        "AutomationDeadLetterQueueUrl": dlq_url("automation"),
    }
    boto3.client("cloudformation").create_stack(StackName="crmsync-test", TemplateBody=json.dumps({
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "placeholder"}}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }))
    integration = connected(aws, aws.tenants.create_tenant("Acme").tenant_id)
    step = dead_letter(dlq_url("sync"), stale_step())

    listed = crmsync_json("--stack-name", "crmsync-test", "integrations", "list")["integrations"]
    crmsync_json("integrations", "sync-now", integration.integration_id, "--stack-name", "crmsync-test")
    redriven = crmsync_json("--stack-name", "crmsync-test", "dead-letters", "redrive", "--queue", "sync")

    assert [i["integration_id"] for i in listed] == [integration.integration_id]
    assert [m["message_id"] for m in redriven["messages"]] == [step]
    assert len(sqs.receive_message(QueueUrl=outputs["SyncQueueUrl"], MaxNumberOfMessages=10)["Messages"]) == 2


def test_a_stack_that_is_not_there_is_an_error(aws, capsys):
    crmsync("--stack-name", "no-such-stack", "list-tenants", expect=2)
    assert "no-such-stack" in capsys.readouterr().err


def test_resource_names_by_stage_are_the_templates():
    template = Template(parameter_overrides={"Stage": "prod"})
    queues = template.queues()
    [table] = template.table_definitions()
    assert target.table_name("prod") == table["create"]["TableName"]
    assert target.queue_names("prod", "sync") == (queues["SyncQueue"]["name"], queues["SyncDeadLetterQueue"]["name"])
    assert target.queue_names("prod", "automation") == (
        queues["AutomationQueue"]["name"], queues["AutomationDeadLetterQueue"]["name"])
    assert queues["SyncQueue"]["dlq"] == "SyncDeadLetterQueue"
    assert queues["AutomationQueue"]["dlq"] == "AutomationDeadLetterQueue"


def test_local_points_at_the_local_stack_unless_endpoints_are_set(monkeypatch):
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    changes = target.environment_for(local=True, region=None, profile=None)
    assert changes["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:8000"
    assert changes["AWS_ENDPOINT_URL_SQS"] == "http://127.0.0.1:9324"

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9999")
    assert "AWS_ENDPOINT_URL_SQS" not in target.environment_for(local=True, region=None, profile=None)


def test_stack_name_and_local_together_are_refused(capsys):
    assert main.main(["--local", "--stack-name", "x", "list-tenants"]) == 2


def test_every_command_and_option_has_help_text():
    def walk(parser: argparse.ArgumentParser, path: str):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                helped = {choice.dest for choice in action._choices_actions if choice.help}
                assert helped == set(action.choices), f"{path}: a command without help"
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}")
                continue
            yield path, action

    for path, action in walk(main.parser(), "crmsync"):
        assert action.help, f"{path} {action.option_strings or action.dest} has no help text"


def test_every_listing_takes_json():
    def leaves(parser: argparse.ArgumentParser, path: str):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield path, parser
        for action in subs:
            for name, sub in action.choices.items():
                yield from leaves(sub, f"{path} {name}")

    found = list(leaves(main.parser(), "crmsync"))
    assert len(found) >= 16
    for path, parser in found:
        assert any("--json" in a.option_strings for a in parser._actions), f"{path} has no --json"
