"""What template.yaml gives an operator (issue 12 points 1-3): alarms on every queue and function, an
explicit JSON log group per function, the product's metrics alarmed, one dashboard, the 404 gateway
responses, labelled parameters and described outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from local.template import Template

ROOT = Path(__file__).resolve().parents[2]
NOTIFY = {"Fn::If": ["NotifyByEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}
# The product's metrics that mean something went wrong: each must have an alarm.
TROUBLE = re.compile(r"Failed|Rejected|Reauthorization")


@pytest.fixture(scope="module")
def template() -> Template:
    return Template()


def alarms(template: Template) -> list[dict]:
    return [r["Properties"] for r in template.of_type("AWS::CloudWatch::Alarm").values()]


def dimensions(alarm: dict) -> dict:
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def alarm_for(template: Template, namespace: str, metric: str, **dims) -> dict | None:
    for alarm in alarms(template):
        if (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric) and all(
            dimensions(alarm).get(k) == v for k, v in dims.items()
        ):
            return alarm
    return None


def emitted_metrics() -> set[str]:
    """Every metric name the code adds with Powertools (`metrics.add_metric(name="...")`)."""
    sources = [*(ROOT / "layers/shared/crmsync").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    found = set()
    for path in sources:
        found |= set(re.findall(r'add_metric\(\s*name="(\w+)"', path.read_text()))
    return found


# ------------------------------------------------------------------ alarms
def test_every_function_has_an_errors_and_a_throttles_alarm(template):
    functions = template.of_type("AWS::Serverless::Function")
    assert len(functions) == 7
    for logical_id in functions:
        for metric in ("Errors", "Throttles"):
            alarm = alarm_for(template, "AWS/Lambda", metric, FunctionName={"Ref": logical_id})
            assert alarm, f"{logical_id} has no {metric} alarm"
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_every_dead_letter_queue_alarms_on_one_visible_message(template):
    queues = template.queues()
    dead_letter_queues = {spec["dlq"] for spec in queues.values() if spec["dlq"]}
    assert dead_letter_queues == {"SyncDeadLetterQueue", "AutomationDeadLetterQueue"}
    for dlq in dead_letter_queues:
        alarm = alarm_for(
            template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName={"Fn::GetAtt": [dlq, "QueueName"]}
        )
        assert alarm, f"{dlq} has no messages-visible alarm"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_every_queue_has_an_alarm(template):
    for logical_id in template.queues():
        queue_alarms = [
            a for a in alarms(template)
            if a["Namespace"] == "AWS/SQS" and dimensions(a).get("QueueName") == {"Fn::GetAtt": [logical_id, "QueueName"]}
        ]
        assert queue_alarms, f"{logical_id} has no alarm"


def test_api_alarms_on_its_5xx_rate(template):
    alarm = alarm_for(template, "AWS/ApiGateway", "5XXError")
    assert alarm and alarm["Statistic"] == "Average" and 0 < alarm["Threshold"] < 1
    assert dimensions(alarm)["ApiName"] == template.resources["Api"]["Properties"]["Name"]


def test_every_trouble_metric_the_code_emits_has_an_alarm_in_the_powertools_namespace(template):
    env = template.doc["Globals"]["Function"]["Environment"]["Variables"]
    namespace, service = env["POWERTOOLS_METRICS_NAMESPACE"], env["POWERTOOLS_SERVICE_NAME"]
    trouble = {name for name in emitted_metrics() if TROUBLE.search(name)}
    assert {"SyncRunsFailed", "ChannelRenewalsFailed", "AutomationMessagesFailed", "WebhooksRejected",
            "ReauthorizationNeeded"} <= trouble
    for name in trouble:
        assert alarm_for(template, namespace, name, service=service), f"no alarm on {name}"


def test_every_product_metric_alarmed_is_emitted_by_the_code(template):
    alarmed = {a["MetricName"] for a in alarms(template) if a["Namespace"] == "CrmSync"}
    assert alarmed - emitted_metrics() == set()


def test_every_alarm_notifies_the_topic_that_exists_only_with_an_email(template):
    for alarm in alarms(template):
        assert alarm["AlarmActions"] == NOTIFY and alarm["OKActions"] == NOTIFY, alarm["AlarmName"]
        assert alarm["TreatMissingData"] == "notBreaching"
    assert template.doc["Parameters"]["AlarmEmail"]["Default"] == ""
    assert template.doc["Conditions"]["NotifyByEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    topic = template.resources["AlarmTopic"]
    subscription = template.resources["AlarmEmailSubscription"]
    assert topic["Condition"] == subscription["Condition"] == "NotifyByEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_alarm_names_are_unique_per_stage(template):
    names = [a["AlarmName"]["Fn::Sub"] for a in alarms(template)]
    assert len(names) == len(set(names))
    assert all(name.startswith("crmsync-${Stage}-") for name in names)


# ------------------------------------------------------------------ dashboard
def test_one_dashboard_per_stage_shows_runs_failures_queues_and_automation_latency(template):
    [dashboard] = template.of_type("AWS::CloudWatch::Dashboard").values()
    props = dashboard["Properties"]
    assert props["DashboardName"] == {"Fn::Sub": "crmsync-${Stage}"}
    body = json.loads(re.sub(r"\$\{[^}]+\}", "x", props["DashboardBody"]["Fn::Sub"]))
    metrics = {m[1] for w in body["widgets"] for m in w["properties"].get("metrics", [])}
    assert {"SyncRunsDone", "SyncRunsFailed", "ApproximateNumberOfMessagesVisible", "AutomationLatency"} <= metrics
    text = props["DashboardBody"]["Fn::Sub"]
    for queue in template.queues():
        assert f"${{{queue}.QueueName}}" in text
    for function in template.of_type("AWS::Serverless::Function"):
        assert f"${{{function}}}" in text


# ------------------------------------------------------------------ logs
def test_every_function_logs_json_to_its_own_group_kept_for_the_retention_parameter(template):
    assert template.doc["Parameters"]["LogRetentionInDays"]["Default"] == 30
    groups = template.of_type("AWS::Logs::LogGroup")
    for logical_id, function in template.of_type("AWS::Serverless::Function").items():
        config = function["Properties"].get("LoggingConfig")
        assert config, f"{logical_id} has no LoggingConfig"
        assert config["LogFormat"] == "JSON"
        group = config["LogGroup"]["Ref"]
        assert group in groups, f"{logical_id} logs to {group}, which the template does not create"
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    every_group = [g["Properties"]["RetentionInDays"] for g in groups.values()]
    assert every_group == [{"Ref": "LogRetentionInDays"}] * len(groups)


def test_account_wide_api_gateway_role_is_off_by_default_and_says_why(template):
    parameter = template.doc["Parameters"]["ConfigureApiGatewayLogRole"]
    assert parameter["Default"] == "false"
    assert "account-wide" in parameter["Description"]
    assert template.resources["ApiGatewayAccount"]["Condition"] == "CreateApiGatewayLogRole"
    access_logs = template.resources["Api"]["Properties"]["AccessLogSetting"]
    assert access_logs["Fn::If"][0] == "WriteApiAccessLogs"  # no access logs without the account's role


# ------------------------------------------------------------------ API edges, parameters, outputs
@pytest.mark.parametrize("response_type", ["MISSING_AUTHENTICATION_TOKEN", "RESOURCE_NOT_FOUND"])
def test_unknown_routes_answer_404_in_the_error_shape(template, response_type):
    response = template.gateway_responses()[response_type]
    assert response["status_code"] == 404
    body = json.loads(response["templates"]["application/json"])
    assert body["error"]["code"] == "not_found" and body["error"]["details"] == {}


def test_every_parameter_is_grouped_once_and_labelled(template):
    interface = template.doc["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    parameters = set(template.doc["Parameters"])
    assert sorted(grouped) == sorted(parameters)
    assert set(interface["ParameterLabels"]) == parameters
    for name, spec in template.doc["Parameters"].items():
        assert spec.get("Description"), f"parameter {name} has no Description"


def test_every_output_has_a_description_and_the_redirect_uri_is_printed(template):
    outputs = template.doc["Outputs"]
    for name, output in outputs.items():
        assert output.get("Description"), f"output {name} has no Description"
    assert outputs["OAuthRedirectUri"]["Value"]["Fn::Sub"].endswith("/${Stage}/oauth/callback")
    assert {"TableName", "SyncQueueUrl", "SyncDeadLetterQueueUrl", "AutomationQueueUrl",
            "AutomationDeadLetterQueueUrl"} <= set(outputs)  # what `crmsync --stack-name` reads


def test_every_handler_captures_a_cold_start_metric():
    for handler in sorted((ROOT / "functions").glob("*/app.py")):
        assert "@metrics.log_metrics(capture_cold_start_metric=True)" in handler.read_text(), handler.parent.name
