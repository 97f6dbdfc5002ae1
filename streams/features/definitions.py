"""Feature definitions, declared once and shared by every engine, the backfill and inference.

A :class:`FeatureView` is a named set of :class:`Aggregation` over one entity key of one
source record. Its :attr:`FeatureView.version` is a short hash of everything that changes
what is computed (not of the documentation fields), so a stored row or a trained model can
say exactly which definition produced its numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from typing import Any, Literal

from streams.features.exceptions import DefinitionError

WindowKind = Literal["tumbling", "sliding"]
AggregationKind = Literal[
    "count",
    "sum",
    "mean",
    "min",
    "max",
    "std",
    "last",
    "distinct_count",
    "seconds_since_last",
]

# Bump when the state layout or the evaluation rules change: it is part of every version.
STATE_FORMAT = 2  # 2: window sums as exact fixed-point limbs
WINDOWED_KINDS = frozenset({"count", "sum", "mean", "min", "max", "std", "distinct_count"})
UNWINDOWED_KINDS = frozenset({"last", "seconds_since_last"})
MAX_DISTINCT_CAPACITY = 1024


def _ms(value: timedelta) -> int:
    return int(value / timedelta(milliseconds=1))


@dataclass(frozen=True)
class Window:
    """An event-time window, kept as a ring of fixed buckets.

    At evaluation time ``t`` the window holds the buckets ``b`` with
    ``t // bucket_ms - buckets < b <= t // bucket_ms``: a sliding window therefore covers
    between ``size - bucket`` and ``size`` of history, and a tumbling window (one bucket of
    the window's size) covers the current period up to ``t``.

    Attributes:
        kind: ``"tumbling"`` or ``"sliding"``.
        size_ms: Window length in milliseconds.
        bucket_ms: Bucket (slide) length; equal to ``size_ms`` for a tumbling window.
    """

    kind: WindowKind
    size_ms: int
    bucket_ms: int

    def __post_init__(self) -> None:
        if self.size_ms <= 0 or self.bucket_ms <= 0:
            raise DefinitionError(f"window sizes must be positive: {self}")
        if self.size_ms % self.bucket_ms:
            raise DefinitionError(f"bucket {self.bucket_ms} ms does not divide {self.size_ms} ms")
        if self.kind == "tumbling" and self.bucket_ms != self.size_ms:
            raise DefinitionError("a tumbling window is one bucket of its own size")

    @classmethod
    def sliding(cls, size: timedelta, bucket: timedelta) -> Window:
        """A sliding window of ``size`` advancing by ``bucket``."""
        return cls("sliding", _ms(size), _ms(bucket))

    @classmethod
    def tumbling(cls, size: timedelta) -> Window:
        """Consecutive, non-overlapping periods of ``size`` aligned on the epoch."""
        return cls("tumbling", _ms(size), _ms(size))

    @property
    def buckets(self) -> int:
        """Number of buckets in the ring."""
        return self.size_ms // self.bucket_ms


@dataclass(frozen=True)
class Aggregation:
    """One feature: an aggregation of one source field over one window.

    Attributes:
        name: Feature name, unique within its view.
        kind: What to compute; ``std`` is the population standard deviation.
        field: Source record field (``None`` only for ``count`` and ``seconds_since_last``).
        window: Required for windowed kinds, forbidden for ``last``/``seconds_since_last``.
        default: Value for a missing entity and for an empty window (mean/min/max/std/last)
            or an entity without previous events (``seconds_since_last``).
        capacity: ``distinct_count`` only: how many most recent distinct values are kept;
            the count is exact up to this many and saturates above it.
    """

    name: str
    kind: AggregationKind
    field: str | None = None
    window: Window | None = None
    default: float = 0.0
    capacity: int = 32

    def __post_init__(self) -> None:
        if not self.name:
            raise DefinitionError("an aggregation needs a name")
        if self.kind in WINDOWED_KINDS and self.window is None:
            raise DefinitionError(f"{self.name}: {self.kind} needs a window")
        if self.kind in UNWINDOWED_KINDS and self.window is not None:
            raise DefinitionError(f"{self.name}: {self.kind} takes no window")
        if self.field is None and self.kind not in {"count", "seconds_since_last"}:
            raise DefinitionError(f"{self.name}: {self.kind} needs a source field")
        if not 1 <= self.capacity <= MAX_DISTINCT_CAPACITY:
            raise DefinitionError(f"{self.name}: capacity must be 1..{MAX_DISTINCT_CAPACITY}")


def _field_values(instance: Any) -> tuple[Any, ...]:
    """A dataclass's field values in order (what its generated ``__hash__`` hashes)."""
    return tuple(getattr(instance, f.name) for f in fields(instance))


@dataclass(frozen=True)
class FeatureView:
    """A named group of features of one entity, computed from one source record.

    Attributes:
        name: View name, also part of the online-store key.
        entity: Entity name (``card``).
        key_field: Source record field holding the entity id (``card_id``).
        source_topic: Topic the events come from.
        source_record: Avro record name of the events (``transaction``).
        event_time_field: Field holding event time in epoch milliseconds.
        aggregations: The features, in the order of every vector this view produces.
        ttl_seconds: Online-store expiry of an entity's row after its last write.
        description: What the view is for.
        owner: Team or person answering for it.
        tags: Free labels.
    """

    name: str
    entity: str
    key_field: str
    source_topic: str
    source_record: str
    event_time_field: str
    aggregations: tuple[Aggregation, ...]
    ttl_seconds: int
    description: str = ""
    owner: str = ""
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = self.feature_names
        if not names:
            raise DefinitionError(f"view {self.name} has no aggregations")
        if len(set(names)) != len(names):
            raise DefinitionError(f"view {self.name} repeats a feature name")
        if self.ttl_seconds <= 0:
            raise DefinitionError(f"view {self.name}: ttl_seconds must be positive")

    def __hash__(self) -> int:
        # Views key the compiled layouts and plans (``functools.cache``): hashing every
        # nested aggregation again on each lookup cost tens of microseconds per online read.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(_field_values(self))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # String hashes differ between processes: never carry a cached one across.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Feature names in vector order."""
        return tuple(agg.name for agg in self.aggregations)

    @property
    def defaults(self) -> tuple[float, ...]:
        """Per-feature values for an entity that has no row."""
        return tuple(agg.default for agg in self.aggregations)

    @property
    def version(self) -> str:
        """Short sha256 (12 hex digits) of the canonical JSON of what the view computes."""
        computed = {
            "format": STATE_FORMAT,
            "name": self.name,
            "entity": self.entity,
            "key_field": self.key_field,
            "source_topic": self.source_topic,
            "source_record": self.source_record,
            "event_time_field": self.event_time_field,
            "aggregations": [asdict(agg) for agg in self.aggregations],
        }
        canonical = json.dumps(computed, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
