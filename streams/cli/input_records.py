"""Turn JSON lines or CSV rows into records shaped by an Avro contract (pure)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from schemas import SchemaVersion


def _scalar_type(avro_type: Any) -> str:
    if isinstance(avro_type, list):
        branches = [t for t in avro_type if t != "null"]
        return _scalar_type(branches[0]) if branches else "null"
    if isinstance(avro_type, dict):
        return str(avro_type["type"])
    return str(avro_type)


def _convert(text: str, avro_type: Any) -> Any:
    nullable = isinstance(avro_type, list) and "null" in avro_type
    if text == "" and nullable:
        return None
    kind = _scalar_type(avro_type)
    if kind in {"int", "long"}:
        return int(text)
    if kind in {"float", "double"}:
        return float(text)
    if kind == "boolean":
        if text.lower() not in {"true", "false", "1", "0"}:
            raise ValueError(f"{text!r} is not a boolean")
        return text.lower() in {"true", "1"}
    return text


def csv_records(lines: Iterable[str], schema: SchemaVersion) -> Iterator[tuple[int, Any]]:
    """Yield (line number, record or the error) for each CSV row with a header line."""
    types = {f["name"]: f["type"] for f in schema.raw["fields"]}
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            yield number, {k: _convert(v, types[k]) if k in types else v for k, v in row.items()}
        except ValueError as exc:
            yield number, exc


def jsonl_records(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """Yield (line number, record or the error) for each non-empty JSON line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, exc
