"""Sandbox control: field updates that run on every create or edit of a record, like the "Field
update" action of a CRM workflow rule (B9's loop tests). The sandbox runs them on every API write,
whatever its `trigger` list says, as an automation outside the workflow engine would (a Deluge
function, another integration).

`PUT /_sandbox/field_updates` with `{"rules": [{"module": "Products", "field": "Unit_Price",
"value": null}]}` replaces the org's rules (null empties the field; a value is checked as a write
of it would be); `GET /_sandbox/field_updates` lists them. The rules belong to the org's data: a
seed or a reset forgets them. A rule's change is part of the write that fired it (same
`Modified_Time`), and is not in the write's answer, as with the vendor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .data import CrmData
from .errors import CrmError
from .validation import invalid
from .web import json_body, sandbox
from .writes import Change


class FieldUpdate(BaseModel):
    module: str
    field: str
    value: Any  # required; null empties the field


class FieldUpdatesBody(BaseModel):
    rules: list[FieldUpdate]


_rules: WeakKeyDictionary[CrmData, list[FieldUpdate]] = WeakKeyDictionary()


def run(data: CrmData, changes: Sequence[Change]) -> None:
    """Applies the org's rules to the records a write created or edited."""
    for change in changes:
        if change.operation not in ("insert", "update"):
            continue
        for rule in _rules.get(data, ()):
            if rule.module != change.module:
                continue
            for record_id in change.ids:
                record = data.store.get(change.module, record_id)
                if record is not None:
                    data.store.put(change.module, {**record, rule.field: rule.value})


def _checked(data: CrmData, rules: list[FieldUpdate]) -> list[FieldUpdate]:
    checked = []
    validator = data.validator()
    for index, rule in enumerate(rules):
        path = f"$.rules[{index}]"
        meta = data.modules.get(rule.module)
        if meta is None:
            raise CrmError(
                "INVALID_MODULE", "the module name given seems to be invalid", json_path=f"{path}.module"
            )
        field = meta.fields.get(rule.field)
        if field is None or field.read_only or (field.mandatory and rule.value is None):
            raise invalid(rule.field, f"{path}.field", "a field a write may set (and empty, for null)")
        checked.append(rule.model_copy(update={"value": validator.value(field, rule.value, f"{path}.value")}))
    return checked


async def put_field_updates(request: Request) -> Response:
    data = sandbox(request).data
    try:
        body = FieldUpdatesBody.model_validate(await json_body(request))
        _rules[data] = _checked(data, body.rules)
    except ValidationError as exc:
        return JSONResponse(
            {"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400
        )
    except CrmError as exc:
        return JSONResponse({"error": "invalid rule", "details": exc.body()}, status_code=400)
    return await get_field_updates(request)


async def get_field_updates(request: Request) -> Response:
    rules = _rules.get(sandbox(request).data, [])
    return JSONResponse({"rules": [rule.model_dump() for rule in rules]})


routes = [
    Route("/_sandbox/field_updates", put_field_updates, methods=["PUT"]),
    Route("/_sandbox/field_updates", get_field_updates, methods=["GET"]),
]
