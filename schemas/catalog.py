"""Loads the ``<record>.v<N>.avsc`` files and indexes them by name, version and fingerprint."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from schemas.exceptions import SchemaError

_FILE_NAME = re.compile(r"^(?P<record>[a-z][a-z0-9_]*)\.v(?P<version>[0-9]+)\.avsc$")
SCHEMA_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one record's contract.

    Attributes:
        record: Short record name, the file's stem (``transaction``).
        version: The ``N`` of ``.vN.avsc``.
        raw: The schema as written in the file.
        parsed: The schema as parsed by fastavro (used to read and write).
        fingerprint: CRC-64-AVRO fingerprint of the Parsing Canonical Form, as the 8
            little-endian bytes that Avro single-object encoding puts on the wire.
    """

    record: str
    version: int
    raw: dict[str, Any] = field(repr=False)
    parsed: Any = field(repr=False)
    fingerprint: bytes

    @property
    def full_name(self) -> str:
        """Namespace-qualified Avro name, for example ``eventml.cards.Transaction``."""
        namespace = self.raw.get("namespace")
        name = str(self.raw["name"])
        return f"{namespace}.{name}" if namespace else name


def _load(path: Path) -> SchemaVersion:
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise SchemaError(f"{path.name}: schema files are named <record>.v<N>.avsc")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        parsed = parse_schema(raw, _write_hint=False)
    except (ValueError, KeyError, TypeError) as exc:
        raise SchemaError(f"{path.name}: not a valid Avro schema: {exc}") from exc
    canonical = to_parsing_canonical_form(parsed)
    fp = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    return SchemaVersion(
        record=match["record"],
        version=int(match["version"]),
        raw=raw,
        parsed=parsed,
        fingerprint=fp,
    )


class SchemaCatalog:
    """Every contract version found in a directory.

    Args:
        directory: Where the ``.avsc`` files live; defaults to the packaged ``schemas/``.
    """

    def __init__(self, directory: Path = SCHEMA_DIR) -> None:
        versions = [_load(p) for p in sorted(directory.glob("*.avsc"))]
        if not versions:
            raise SchemaError(f"no .avsc files in {directory.name}/")
        self._versions: dict[str, dict[int, SchemaVersion]] = {}
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for v in versions:
            self._versions.setdefault(v.record, {})[v.version] = v
            self._by_fingerprint[v.fingerprint] = v

    @property
    def records(self) -> list[str]:
        """Short names of all records, sorted."""
        return sorted(self._versions)

    def versions(self, record: str) -> list[SchemaVersion]:
        """All versions of ``record``, oldest first."""
        return [self._record(record)[n] for n in sorted(self._record(record))]

    def latest(self, record: str) -> SchemaVersion:
        """The newest version of ``record``: what readers resolve to."""
        return self.versions(record)[-1]

    def get(self, record: str, version: int) -> SchemaVersion:
        """One exact version."""
        try:
            return self._record(record)[version]
        except KeyError:
            raise SchemaError(f"{record} has no version {version}") from None

    def by_fingerprint(self, fp: bytes) -> SchemaVersion | None:
        """The version whose fingerprint is ``fp``, or None when unknown."""
        return self._by_fingerprint.get(fp)

    def _record(self, record: str) -> dict[int, SchemaVersion]:
        try:
            return self._versions[record]
        except KeyError:
            known = ", ".join(self.records)
            raise SchemaError(f"unknown record {record!r}; known: {known}") from None


@cache
def default_catalog() -> SchemaCatalog:
    """The catalogue of the contracts shipped with eventml (loaded once per process)."""
    return SchemaCatalog()
