"""Read template.yaml: the one source of truth for what the local stack creates and wires.

Everything local (tables, queues, routes, schedules, event source mappings,
environment) is derived from the SAM template here, never from a second list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


@dataclass(frozen=True)
class Route:
    function: str  # logical id
    method: str  # upper case, e.g. GET
    path: str  # API Gateway template, e.g. /integrations/{integration_id}
    authorized: bool


@dataclass(frozen=True)
class QueueSource:
    function: str
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int
    report_batch_item_failures: bool
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency: batches in flight at once


@dataclass(frozen=True)
class Schedule:
    function: str
    expression: str  # e.g. "rate(2 hours)"

    @property
    def seconds(self) -> int:
        match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if not match:
            raise ValueError(f"unsupported schedule expression {self.expression!r}")
        unit = {"minute": 60, "hour": 3600, "day": 86400}[match[2].rstrip("s")]
        return int(match[1]) * unit


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    code_uri: str
    handler: str
    timeout: int
    environment: dict[str, Any] = field(default_factory=dict)
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions

    @property
    def name(self) -> str:
        """The folder name under functions/, e.g. integration_lifecycle."""
        return Path(self.code_uri).name


@lru_cache(maxsize=4)
def _parse(text: str) -> dict[str, Any]:
    """The parsed template, shared by every `Template` of the same text (so read-only).

    Parsing takes a tenth of a second; the tests build a Template per test.
    """
    return cfn_yaml.loads(text)


class Template:
    """A parsed SAM template with the views the local stack needs."""

    def __init__(self, path: Path = TEMPLATE_PATH, parameter_overrides: dict[str, str] | None = None):
        self.path = path
        self.doc = _parse(path.read_text())
        self.overrides = parameter_overrides or {}

    @property
    def resources(self) -> dict[str, dict]:
        return self.doc["Resources"]

    def of_type(self, type_name: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_name}

    def parameter(self, name: str) -> str:
        if name in self.overrides:
            return self.overrides[name]
        return str(self.doc["Parameters"][name]["Default"])

    # ------------------------------------------------------------ tables
    def table_definitions(self, names: dict[str, str] | None = None) -> list[dict]:
        """create_table kwargs for every AWS::DynamoDB::Table, plus its TTL attribute.

        `names` maps logical id -> table name; by default the template's TableName
        with parameters substituted. Returns dicts with keys: logical_id, ttl_attribute,
        create (the kwargs for create_table).
        """
        out = []
        for logical_id, res in self.of_type("AWS::DynamoDB::Table").items():
            props = res["Properties"]
            name = (names or {}).get(logical_id) or self.resolve(props["TableName"])
            create: dict[str, Any] = {
                "TableName": name,
                "AttributeDefinitions": [dict(a) for a in props["AttributeDefinitions"]],
                "KeySchema": [dict(k) for k in props["KeySchema"]],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if "GlobalSecondaryIndexes" in props:
                create["GlobalSecondaryIndexes"] = [
                    {
                        "IndexName": g["IndexName"],
                        "KeySchema": [dict(k) for k in g["KeySchema"]],
                        "Projection": dict(g["Projection"]),
                    }
                    for g in props["GlobalSecondaryIndexes"]
                ]
            ttl = props.get("TimeToLiveSpecification", {})
            out.append(
                {
                    "logical_id": logical_id,
                    "ttl_attribute": ttl.get("AttributeName") if ttl.get("Enabled") else None,
                    "create": create,
                }
            )
        return out

    # ------------------------------------------------------------ functions
    @cached_property
    def functions(self) -> dict[str, FunctionDef]:
        globals_fn = self.doc.get("Globals", {}).get("Function", {})
        global_env = globals_fn.get("Environment", {}).get("Variables", {})
        out = {}
        for logical_id, res in self.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = dict(global_env)
            env.update(props.get("Environment", {}).get("Variables", {}))
            out[logical_id] = FunctionDef(
                logical_id=logical_id,
                code_uri=str(props["CodeUri"]).rstrip("/"),
                handler=props["Handler"],
                timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
                environment=env,
                reserved_concurrency=_optional_int(self.resolve(props.get("ReservedConcurrentExecutions"))),
            )
        return out

    def _events(self, event_type: str):
        for logical_id, res in self.of_type("AWS::Serverless::Function").items():
            for event in res["Properties"].get("Events", {}).values():
                if event["Type"] == event_type:
                    yield logical_id, event.get("Properties", {})

    @cached_property
    def routes(self) -> list[Route]:
        out = []
        for fn, props in self._events("Api"):
            auth = props.get("Auth", {})
            out.append(
                Route(
                    function=fn,
                    method=str(props["Method"]).upper(),
                    path=str(props["Path"]),
                    authorized=auth.get("Authorizer") != "NONE",
                )
            )
        return out

    @cached_property
    def authorizer_function(self) -> str:
        """Logical id of the function behind the API's default authorizer."""
        for res in self.of_type("AWS::Serverless::Api").values():
            auth = res["Properties"]["Auth"]
            authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
            return self._logical_id_of(authorizer["FunctionArn"])
        raise LookupError("template has no AWS::Serverless::Api with an authorizer")

    @cached_property
    def queue_sources(self) -> list[QueueSource]:
        return [
            QueueSource(
                function=fn,
                queue=self._logical_id_of(props["Queue"]),
                batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures"
                in props.get("FunctionResponseTypes", []),
                maximum_concurrency=_optional_int(
                    self.resolve(props.get("ScalingConfig", {}).get("MaximumConcurrency"))
                ),
            )
            for fn, props in self._events("SQS")
        ]

    def layer_paths(self, function: str) -> list[str]:
        """The ContentUri of each layer of `function` (Globals' then its own), in the template's order."""
        globals_fn = self.doc.get("Globals", {}).get("Function", {})
        props = self.resources[function]["Properties"]
        layers = [*globals_fn.get("Layers", []), *props.get("Layers", [])]
        return [
            str(self.resources[self._logical_id_of(layer)]["Properties"]["ContentUri"]).rstrip("/")
            for layer in layers
        ]

    def concurrency(self, function: str, default: int) -> int:
        """How many execution environments `function` may have at once: its ReservedConcurrentExecutions,
        else the largest ScalingConfig.MaximumConcurrency of its SQS event sources, else `default`."""
        reserved = self.functions[function].reserved_concurrency
        if reserved is not None:
            return reserved
        caps = [s.maximum_concurrency for s in self.queue_sources if s.function == function]
        return max((cap for cap in caps if cap is not None), default=default)

    @cached_property
    def schedules(self) -> list[Schedule]:
        return [
            Schedule(function=fn, expression=str(self.resolve(props["ScheduleExpression"])))
            for fn, props in self._events("ScheduleV2")
        ]

    def function_name(self, logical_id: str) -> str:
        """The deployed FunctionName (parameters substituted), or the logical id."""
        props = self.resources[logical_id]["Properties"]
        return str(self.resolve(props["FunctionName"])) if "FunctionName" in props else logical_id

    def memory_size(self, logical_id: str) -> int:
        props = self.resources[logical_id]["Properties"]
        globals_fn = self.doc.get("Globals", {}).get("Function", {})
        return int(props.get("MemorySize", globals_fn.get("MemorySize", 128)))

    def schedule_properties(self, function: str) -> dict[str, Any]:
        """The ScheduleV2 event properties of `function` (Name, Input, ...), resolved."""
        for fn, props in self._events("ScheduleV2"):
            if fn == function:
                return {key: self.resolve(value) for key, value in props.items()}
        raise LookupError(f"{function} has no ScheduleV2 event")

    # ------------------------------------------------------------ API
    def _api_properties(self) -> dict[str, Any]:
        for res in self.of_type("AWS::Serverless::Api").values():
            return res["Properties"]
        raise LookupError("template has no AWS::Serverless::Api")

    def gateway_responses(self) -> dict[str, dict[str, Any]]:
        """Response type (UNAUTHORIZED, DEFAULT_4XX, ...) -> {status_code, templates, headers}.

        `status_code` is None where the template leaves it to the type's default;
        `headers` are the static ResponseParameters.Headers with their quotes removed.
        """
        out = {}
        for kind, spec in self._api_properties().get("GatewayResponses", {}).items():
            headers = spec.get("ResponseParameters", {}).get("Headers", {})
            out[kind] = {
                "status_code": int(spec["StatusCode"]) if "StatusCode" in spec else None,
                "templates": dict(spec.get("ResponseTemplates", {})),
                "headers": {name: str(value).strip("'") for name, value in headers.items()},
            }
        return out

    def authorizer_identity_headers(self) -> list[str]:
        """Headers the default authorizer needs; API Gateway answers 401 when one is missing."""
        auth = self._api_properties()["Auth"]
        identity = auth["Authorizers"][auth["DefaultAuthorizer"]].get("Identity", {})
        return [str(h) for h in identity.get("Headers", [])]

    # ------------------------------------------------------------ queues
    def queues(self) -> dict[str, dict]:
        """Logical id -> {name, visibility_timeout, dlq (logical id) , max_receive_count}."""
        out = {}
        for logical_id, res in self.of_type("AWS::SQS::Queue").items():
            props = res["Properties"]
            redrive = props.get("RedrivePolicy")
            out[logical_id] = {
                "name": self.resolve(props["QueueName"]),
                "visibility_timeout": int(props.get("VisibilityTimeout", 30)),
                "dlq": self._logical_id_of(redrive["deadLetterTargetArn"]) if redrive else None,
                "max_receive_count": int(redrive["maxReceiveCount"]) if redrive else None,
            }
        return out

    # ------------------------------------------------------------ intrinsics
    def resolve(self, value: Any, refs: dict[str, str] | None = None) -> Any:
        """Resolve Ref / Sub / GetAtt against parameters and `refs` (logical id -> value)."""
        refs = refs or {}
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg, refs)
            if key == "Fn::Sub":
                template = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._ref(m[1], refs)), template)
            if key == "Fn::GetAtt":
                target = arg if isinstance(arg, str) else ".".join(arg)
                return refs.get(target, target)
        return value

    def _ref(self, name: str, refs: dict[str, str]) -> Any:
        if name in refs:
            return refs[name]
        if name in self.doc.get("Parameters", {}):
            return self.parameter(name)
        pseudo = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name in self.resources:
            return name
        raise KeyError(f"cannot resolve Ref {name}")

    @staticmethod
    def _logical_id_of(value: Any) -> str:
        if isinstance(value, dict):
            ((key, arg),) = value.items()
            if key == "Fn::GetAtt":
                return (arg if isinstance(arg, str) else arg[0]).split(".")[0]
            if key == "Ref":
                return arg.split(".")[0]  # SAM's `!Ref Function.Alias` names the function's alias
        raise ValueError(f"expected !Ref or !GetAtt, got {value!r}")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
