"""The binary form of a feature row in the online store, and reading many rows at once.

Layout (a blob per entity and view)::

    header, big-endian, 40 bytes
      u64 max_event_time   ordering key: the store never lets a smaller one overwrite
      u64 applied_count    tie-break for out-of-order events with the same max time
      i64 last_event_time
      i64 written_at_ms
      6s  view version     first 6 bytes of the view's sha256
      u16 event id length
    body, little-endian float64: cells, undo positions, undo values (fixed per view)
    last event id, UTF-8

The ordering keys come first and big-endian so the store's Lua script can read them with
``string.byte``. Fixed-size bodies let :func:`decode_rows` stack many rows in one copy.
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
from streams.features.point_in_time import ahead_mask, as_of_batch
from streams.features.rows import FeatureRow, FloatArray, RowBatch

HEADER = struct.Struct(">QQqq6sH")
MAX_EVENT_ID_BYTES = 0xFFFF
BoolArray = npt.NDArray[np.bool_]


def _body_size(layout: StateLayout) -> int:
    return (layout.size + 2 * layout.undo_size) * 8


@cache
def _empty_body(layout: StateLayout) -> bytes:
    cells = np.asarray(layout.initial_state(), dtype="<f8")
    undo = np.zeros(2 * layout.undo_size, dtype="<f8")
    return cells.tobytes() + undo.tobytes()


def encode_row(row: FeatureRow, written_at_ms: int) -> bytes:
    """The stored bytes of ``row``.

    Raises:
        RowFormatError: The event id is longer than 65,535 UTF-8 bytes.
    """
    event_id = row.last_event_id.encode("utf-8")
    if len(event_id) > MAX_EVENT_ID_BYTES:
        raise RowFormatError("event id too long for a feature row")
    header = HEADER.pack(
        row.max_event_time,
        row.applied_count,
        row.last_event_time,
        written_at_ms,
        bytes.fromhex(row.view_version)[:6],
        len(event_id),
    )
    body = np.concatenate(
        (row.cells, row.undo_pos.astype(np.float64), row.undo_old), dtype="<f8"
    ).tobytes()
    return header + body + event_id


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
    size, body_size = layout.size, _body_size(layout)
    version = bytes.fromhex(layout.version)[:6]
    empty = _empty_body(layout)
    bodies: list[bytes] = []
    ids: list[str] = []
    times: list[int] = []
    found = np.zeros(len(blobs), dtype=np.bool_)
    for i, blob in enumerate(blobs):
        if blob is None or len(blob) < HEADER.size + body_size:
            bodies.append(empty)
            ids.append("")
            times.append(-1)
            continue
        _, _, last_time, _, blob_version, id_len = HEADER.unpack_from(blob)
        if blob_version != version or len(blob) != HEADER.size + body_size + id_len:
            bodies.append(empty)
            ids.append("")
            times.append(-1)
            continue
        bodies.append(blob[HEADER.size : HEADER.size + body_size])
        ids.append(blob[HEADER.size + body_size :].decode("utf-8"))
        times.append(last_time)
        found[i] = True
    flat = np.frombuffer(b"".join(bodies), dtype="<f8").reshape(len(blobs), -1)
    batch = RowBatch(
        cells=flat[:, :size],
        undo_pos=flat[:, size : size + layout.undo_size].astype(np.int64),
        undo_old=flat[:, size + layout.undo_size :],
        last_event_ids=tuple(ids),
        last_event_times=np.array(times, dtype=np.int64),
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
) -> OnlineFeatures:
    """Decode blobs and evaluate them point-in-time: the pure half of an online read."""
    decoded = decode_rows(view, blobs)
    batch = decoded.batch
    at = np.broadcast_to(np.asarray(at_ms, dtype=np.int64), (len(blobs),)).copy()
    values = as_of_batch(view, batch, event_ids, at)
    missing = ~decoded.found
    values[missing] = np.asarray(view.defaults, dtype=np.float64)
    freshness = np.where(decoded.found, (at - batch.last_event_times).astype(np.float64), np.nan)
    ahead = ahead_mask(batch, event_ids, at) & decoded.found
    return OnlineFeatures(view.feature_names, values, decoded.found, freshness, ahead)
