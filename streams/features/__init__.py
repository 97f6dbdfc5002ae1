"""Streaming features: one definition, one pure aggregation core, an online store in Redis
and a point-in-time backfill that reproduces online features exactly.

Engines call :class:`FeatureAggregator` and :class:`RedisOnlineStore`; inference calls
:meth:`RedisOnlineStore.get` (or the async twin); training calls :func:`features_at` or
:func:`features_for_events`. The point-in-time convention is in
:mod:`streams.features.point_in_time`.
"""

from __future__ import annotations

from streams.features.aggregator import (
    AggregationResult,
    FeatureAggregator,
    Outcome,
    RejectedEvent,
    SourceEvent,
)
from streams.features.backfill import (
    BackfillResult,
    HistoricalFeatures,
    QueryPoint,
    features_at,
    features_for_events,
)
from streams.features.catalog import CARD, MERCHANT, get_view, list_views
from streams.features.definitions import Aggregation, FeatureView, Window
from streams.features.event_archive import read_events, write_events
from streams.features.exceptions import (
    DefinitionError,
    FeatureError,
    InvalidEventError,
    OnlineStoreError,
    RowFormatError,
    UnknownViewError,
)
from streams.features.online_store import AsyncRedisOnlineStore, RedisOnlineStore, WriteResult
from streams.features.point_in_time import as_of, as_of_batch
from streams.features.row_codec import OnlineFeatures
from streams.features.rows import FeatureRow, RowBatch

__all__ = [
    "CARD",
    "MERCHANT",
    "Aggregation",
    "AggregationResult",
    "AsyncRedisOnlineStore",
    "BackfillResult",
    "DefinitionError",
    "FeatureAggregator",
    "FeatureError",
    "FeatureRow",
    "FeatureView",
    "HistoricalFeatures",
    "InvalidEventError",
    "OnlineFeatures",
    "OnlineStoreError",
    "Outcome",
    "QueryPoint",
    "RedisOnlineStore",
    "RejectedEvent",
    "RowBatch",
    "RowFormatError",
    "SourceEvent",
    "UnknownViewError",
    "Window",
    "WriteResult",
    "as_of",
    "as_of_batch",
    "features_at",
    "features_for_events",
    "get_view",
    "list_views",
    "read_events",
    "write_events",
]
