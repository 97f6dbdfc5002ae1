"""The binary form of a feature row in the online store, and reading many rows at once.

Layout (a blob per entity and view, the same size for every entity of a view)::

    header, big-endian, 40 bytes
      u64 max_event_time   ordering key: the store never lets a smaller one overwrite
      u64 applied_count    tie-break for out-of-order events with the same max time
      i64 last_event_time
      i64 written_at_ms
      6s  view version     first 6 bytes of the view's sha256
      u16 event id length
    body, little-endian float64: cells, undo positions, undo values
    last event id, UTF-8, NUL-padded to 256 bytes

The ordering keys come first and big-endian so the store's Lua script can read them with
``string.byte``. Fixed-size blobs let :func:`decode_rows` read many rows with one join and a
numpy structured view, without per-row parsing.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from streams.features.definitions import FeatureView
from streams.features.exceptions import RowFormatError
from streams.features.layout import StateLayout, layout_of
from streams.features.point_in_time import ahead_mask, as_of_rows
from streams.features.rows import FeatureRow, FloatArray, RowBatch

HEADER = struct.Struct(">QQqq6sH")
MAX_EVENT_ID_BYTES = 256
BoolArray = npt.NDArray[np.bool_]


@cache
def blob_dtype(layout: StateLayout) -> np.dtype[np.void]:
    """The numpy structured dtype of one stored row of ``layout``."""
    return np.dtype(
        [
            ("max_event_time", ">u8"),
            ("applied_count", ">u8"),
            ("last_event_time", ">i8"),
            ("written_at_ms", ">i8"),
            ("version", "S6"),
            ("id_len", ">u2"),
            ("body", "<f8", (layout.size + 2 * layout.undo_size,)),
            ("event_id", f"S{MAX_EVENT_ID_BYTES}"),
        ]
    )


@cache
def _version_bytes(layout: StateLayout) -> bytes:
    return bytes.fromhex(layout.version)[:6]


def _pack(
    layout: StateLayout,
    header: tuple[int, int, int, int],
    cells: FloatArray,
    undo_pos: npt.NDArray[np.int64],
    undo_old: FloatArray,
    event_id: str,
    body: bytes = b"",
) -> bytes:
    raw = event_id.encode("utf-8")
    if len(raw) > MAX_EVENT_ID_BYTES:
        raise RowFormatError(f"event id longer than {MAX_EVENT_ID_BYTES} bytes")
    if not body:
        parts = (cells, undo_pos.astype(np.float64), undo_old)
        body = np.concatenate(parts, dtype="<f8").tobytes()
    return (
        HEADER.pack(*header, _version_bytes(layout), len(raw))
        + body
        + raw.ljust(MAX_EVENT_ID_BYTES, b"\0")
    )


@cache
def _empty_blob(layout: StateLayout) -> bytes:
    cells = np.asarray(layout.initial_state(), dtype=np.float64)
    undo = np.zeros(layout.undo_size, dtype=np.float64)
    return _pack(layout, (0, 0, -1, 0), cells, undo.astype(np.int64), undo, "")


def encode_row(row: FeatureRow, written_at_ms: int, layout: StateLayout) -> bytes:
    """The stored bytes of ``row``.

    Raises:
        RowFormatError: The event id is longer than 256 UTF-8 bytes.
    """
    header = (row.max_event_time, row.applied_count, row.last_event_time, written_at_ms)
    return _pack(layout, header, row.cells, row.undo_pos, row.undo_old, row.last_event_id, row.body)


@dataclass(frozen=True)
class DecodedRows:
    """Stored rows of one view read back, missing ones filled with an empty state.

    Attributes:
        batch: The rows stacked for evaluation.
        found: Which entities had a row of the current view version.
    """

    batch: RowBatch
    found: BoolArray


def decode_rows(view: FeatureView, blobs: Sequence[bytes | None]) -> DecodedRows:
    """Stack stored blobs (``None`` = missing; another view version counts as missing)."""
    layout = layout_of(view)
    dtype = blob_dtype(layout)
    version = _version_bytes(layout)
    empty = _empty_blob(layout)
    found = np.array(
        [b is not None and len(b) == dtype.itemsize and b[32:38] == version for b in blobs],
        dtype=np.bool_,
    )
    joined = b"".join(
        b if ok and b is not None else empty for b, ok in zip(blobs, found, strict=True)
    )
    rows = np.frombuffer(joined, dtype=dtype)
    body = rows["body"]
    size = layout.size
    batch = RowBatch(
        cells=body[:, :size],
        undo_pos=body[:, size : size + layout.undo_size].astype(np.int64),
        undo_old=body[:, size + layout.undo_size :],
        last_event_ids=tuple(raw.decode("utf-8") for raw in rows["event_id"].tolist()),
        last_event_times=rows["last_event_time"].astype(np.int64),
    )
    return DecodedRows(batch, found)


@dataclass(frozen=True)
class OnlineFeatures:
    """Point-in-time features read from the online store.

    Attributes:
        feature_names: Column names of ``values``.
        values: ``(n, features)`` float64; the view's defaults where ``found`` is false.
        found: Which entities had a stored row.
        freshness_ms: ``at_ms - last event time`` per entity (NaN where not found).
        ahead: Rows that already hold events at or after ``at_ms`` other than the scored
            one, whose features are therefore best effort (see ``point_in_time``).
    """

    feature_names: tuple[str, ...]
    values: FloatArray
    found: BoolArray
    freshness_ms: FloatArray
    ahead: BoolArray


def online_features(
    view: FeatureView,
    blobs: Sequence[bytes | None],
    event_ids: Sequence[str | None] | None,
    at_ms: Sequence[int] | int,
    rows: npt.NDArray[np.int64] | None = None,
) -> OnlineFeatures:
    """Decode blobs and evaluate them point-in-time: the pure half of an online read.

    Args:
        view: The blobs' view.
        blobs: Stored rows (``None`` = missing).
        event_ids: Per query, the event being scored, or ``None``.
        at_ms: Time (or per-query times) to evaluate at.
        rows: Per query, the index of its blob in ``blobs``, when several queries share an
            entity and its row was read once; ``None``: one blob per query.
    """
    decoded = decode_rows(view, blobs)
    batch, found = decoded.batch, decoded.found
    queries = np.arange(len(batch)) if rows is None else rows
    at = np.broadcast_to(np.asarray(at_ms, dtype=np.int64), (len(queries),)).copy()
    values, scored = as_of_rows(view, batch, queries, event_ids, at)
    found = found[queries]
    values[~found] = np.asarray(view.defaults, dtype=np.float64)
    last_times = batch.last_event_times[queries]
    freshness = np.where(found, (at - last_times).astype(np.float64), np.nan)
    ahead = ahead_mask(last_times, at, scored) & found
    return OnlineFeatures(view.feature_names, values, found, freshness, ahead)


def warm_up(view: FeatureView) -> None:
    """Compiles (or loads from numba's cache) the online evaluation of ``view`` before a
    first read waits for it. Reads of one stored row and of several hand the kernel arrays of
    different layouts, each its own machine code: warming up with one row only left the
    first real read to compile (seconds without a cache, ~10 ms to load one)."""
    for blobs in ([None], [None, None]):
        online_features(view, blobs, [None] * len(blobs), [0] * len(blobs))
