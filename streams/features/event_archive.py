"""A Parquet archive of decoded source events, the input of the offline backfill."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from streams.features.exceptions import FeatureError


def write_events(
    path: Path,
    records: Iterable[Mapping[str, Any]],
    *,
    batch_size: int = 65_536,
    schema: pa.Schema | None = None,
) -> int:
    """Write decoded records to one Parquet file, in row groups of ``batch_size``.

    Without ``schema`` the first row group's inferred schema is used for all: pass one when
    an optional field may be null throughout the first ``batch_size`` records.

    Returns:
        The number of records written.

    Raises:
        FeatureError: The records are empty or their fields disagree.
    """
    writer: pq.ParquetWriter | None = pq.ParquetWriter(path, schema) if schema is not None else None
    written = 0
    chunk: list[Mapping[str, Any]] = []
    try:
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch_size:
                writer = _write_chunk(path, writer, chunk)
                written += len(chunk)
                chunk = []
        if chunk or writer is None:
            if not chunk:
                raise FeatureError(f"no events to archive in {path}")
            writer = _write_chunk(path, writer, chunk)
            written += len(chunk)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise FeatureError(f"cannot archive events to {path}: {exc}") from exc
    finally:
        if writer is not None:
            writer.close()
    return written


def _write_chunk(
    path: Path, writer: pq.ParquetWriter | None, chunk: list[Mapping[str, Any]]
) -> pq.ParquetWriter:
    schema = writer.schema if writer is not None else None
    table = pa.Table.from_pylist(list(chunk), schema=schema)
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer


def read_events(path: Path, *, time_field: str = "event_time") -> Iterator[dict[str, Any]]:
    """Records of an archive in non-decreasing ``time_field`` order (stable for ties)."""
    table = pq.read_table(path)
    table = table.sort_by([(time_field, "ascending")])
    for batch in table.to_batches(max_chunksize=65_536):
        yield from batch.to_pylist()
