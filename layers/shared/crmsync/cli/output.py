"""Output: aligned tables for people, JSON (`--json`) for scripts; nothing else goes to stdout."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pydantic import BaseModel


def plain(value: Any) -> Any:
    """JSON-ready data of models, lists and dicts of them."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def print_json(value: Any, out: TextIO) -> None:
    json.dump(plain(value), out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: TextIO, *, empty: str) -> None:
    """One line per row, columns aligned; `empty` when there are no rows."""
    if not rows:
        print(empty, file=out)
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[n]) for line in cells)) for n, column in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip(), file=out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    text = str(value.value if hasattr(value, "value") else value)
    return text if len(text) <= 80 else text[:77] + "..."
