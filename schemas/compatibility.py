"""Backward compatibility: can the new version of a schema read data written with the old one?

Implements the Avro schema-resolution rules for the types eventml's contracts use.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from schemas.catalog import SchemaCatalog
from schemas.exceptions import IncompatibleSchemaError

_PROMOTIONS = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        return str(schema["type"])
    return str(schema)


def _problems(writer: Any, reader: Any, path: str) -> list[str]:
    w, r = _kind(writer), _kind(reader)
    if r == "union":
        if w == "union":
            return [p for branch in writer for p in _union_branch(branch, reader, path)]
        return _union_branch(writer, reader, path)
    if w == "union":
        return [p for branch in writer for p in _problems(branch, reader, path)]
    if w != r and r not in _PROMOTIONS.get(w, set()):
        return [f"{path}: {w} cannot be read as {r}"]
    if r == "record":
        return _record(writer, reader, path)
    if r == "enum":
        missing = set(writer["symbols"]) - set(reader["symbols"])
        if missing and "default" not in reader:
            return [f"{path}: enum symbols {sorted(missing)} removed without a default"]
    if r == "array":
        return _problems(writer["items"], reader["items"], f"{path}[]")
    if r == "map":
        return _problems(writer["values"], reader["values"], f"{path}{{}}")
    return []


def _union_branch(writer: Any, reader_union: list[Any], path: str) -> list[str]:
    for branch in reader_union:
        if not _problems(writer, branch, path):
            return []
    return [f"{path}: {_kind(writer)} matches no branch of the new union"]


def _record(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    written = {f["name"]: f for f in writer["fields"]}
    problems: list[str] = []
    for field in reader["fields"]:
        name = field["name"]
        if name in written:
            problems += _problems(written[name]["type"], field["type"], f"{path}.{name}")
        elif "default" not in field:
            problems.append(f"{path}.{name}: new field without a default")
    return problems


def check_backward_compatible(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Reasons the ``new`` schema cannot read data written with ``old``; empty when it can."""
    return _problems(old, new, str(new.get("name", "")))


def check_catalog(catalog: SchemaCatalog) -> dict[str, list[str]]:
    """Check each version of every record against the version before it.

    Returns:
        ``{"transaction v1 -> v2": [...problems]}`` for every pair checked.

    Raises:
        IncompatibleSchemaError: When any pair has problems (after checking them all).
    """
    report: dict[str, list[str]] = {}
    for record in catalog.records:
        versions = catalog.versions(record)
        for old, new in pairwise(versions):
            key = f"{record} v{old.version} -> v{new.version}"
            report[key] = check_backward_compatible(old.raw, new.raw)
    failures = {k: v for k, v in report.items() if v}
    if failures:
        lines = [f"{k}: {p}" for k, ps in failures.items() for p in ps]
        raise IncompatibleSchemaError("not backward compatible:\n  " + "\n  ".join(lines))
    return report
