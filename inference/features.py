"""The feature matrix of a batch: request-time fields of each event beside online features.

Request-time features come from :class:`training.request_features.RequestFeatures`, the one
definition training uses too, so a served vector is built by the same code as a trained one.
Online features come from an injected :class:`OnlineFeatureSource` (Redis in production).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from streams.exceptions import ConfigurationError, InfrastructureError
from training.request_features import RequestFeatures


@dataclass(frozen=True)
class OnlineFeatures:
    """Online features of a batch of entities.

    Attributes:
        values: ``[n, k]`` float64; the source's defaults where ``missing``.
        missing: ``[n]`` True where the entity had no stored features.
        freshness_ms: ``[n]`` scoring time minus the features' last update (0 if missing).
    """

    values: npt.NDArray[np.float64]
    missing: npt.NDArray[np.bool_]
    freshness_ms: npt.NDArray[np.int64]


class OnlineFeatureSource(Protocol):
    """Point-in-time online features, e.g. the feature store in Redis."""

    @property
    def feature_names(self) -> list[str]:
        """Names of the ``k`` columns :meth:`get` returns, in order."""
        ...

    def get(self, events: Sequence[Mapping[str, Any]]) -> OnlineFeatures:
        """Features of each event's entities as of its event time, without the event itself
        (the source reads the entity keys it needs: card, merchant...).

        Raises:
            InfrastructureError: The store cannot be reached; the caller retries.
        """
        ...

    def request(self, events: Sequence[Mapping[str, Any]]) -> Callable[[], OnlineFeatures]:
        """:meth:`get` in two steps: starts the read and returns the function that finishes
        it (a source over the network sends its request at once, so the caller's work in
        between overlaps the server's).

        Raises:
            InfrastructureError: The store cannot be reached (now, or when finishing).
        """
        ...


@dataclass(frozen=True)
class FeatureTable:
    """Every feature the service can build for a batch, by name.

    Attributes:
        names: Column names of ``values``.
        values: ``[n, len(names)]`` float64.
        missing: ``[n]`` True where online features were defaults.
        freshness_ms: ``[n]`` age of the online features.
    """

    names: tuple[str, ...]
    values: npt.NDArray[np.float64]
    missing: npt.NDArray[np.bool_]
    freshness_ms: npt.NDArray[np.int64]

    def take(self, rows: npt.NDArray[np.intp]) -> FeatureTable:
        """The table restricted to ``rows``."""
        return FeatureTable(
            self.names, self.values[rows], self.missing[rows], self.freshness_ms[rows]
        )

    def finite_rows(self) -> npt.NDArray[np.bool_]:
        """True where every value of the row is finite (NaN/inf rows are dead-lettered)."""
        return np.asarray(np.isfinite(self.values).all(axis=1))

    def select(self, names: Sequence[str], rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """The float32 matrix of ``names`` (a model's input order) for ``rows``."""
        index = {name: i for i, name in enumerate(self.names)}
        columns = np.array([index[name] for name in names], dtype=np.intp)
        return np.ascontiguousarray(self.values[np.ix_(rows, columns)], dtype=np.float32)


class FeatureBuilder:
    """Builds the :class:`FeatureTable` of a batch of decoded ``transaction`` events.

    Args:
        source: Online features, keyed by ``card_id``.
        request: The request-time feature spec shared with training.
    """

    def __init__(self, source: OnlineFeatureSource, request: RequestFeatures | None = None) -> None:
        self._source = source
        self._request = request or RequestFeatures()
        self.names = (*self._request.names, *source.feature_names)
        if len(set(self.names)) != len(self.names):
            raise ConfigurationError(f"duplicate feature names: {self.names}")

    def build(self, events: Sequence[Mapping[str, Any]]) -> FeatureTable:
        """Request-time columns then online columns for each event.

        Raises:
            InfrastructureError: The online source failed; nothing is built.
        """
        return self.start(events)()

    def start(self, events: Sequence[Mapping[str, Any]]) -> Callable[[], FeatureTable]:
        """:meth:`build` in two steps: the online read is sent and the request-time columns
        computed now; the returned function waits for the read and builds the table.

        Raises:
            InfrastructureError: The online source failed (now, or when finishing).
        """
        finish = self._source.request(events)
        try:
            # Computed while the source's server builds its reply.
            request = self._request.transform(events).astype(np.float64)
        except BaseException:
            with contextlib.suppress(InfrastructureError):
                finish()  # the reply is read, so the connection can serve again
            raise
        expected = (len(events), len(self._source.feature_names))

        def table() -> FeatureTable:
            online = finish()
            if online.values.shape != expected:
                raise InfrastructureError(f"online source returned shape {online.values.shape}")
            values = np.hstack([request, online.values.astype(np.float64)])
            return FeatureTable(self.names, values, online.missing, online.freshness_ms)

        return table


class InMemoryFeatureSource:
    """Online features held in a dict (tests and demos).

    Args:
        feature_names: Column names.
        defaults: Values of an entity with nothing stored.
        rows: ``entity -> (values, updated_at_ms)``.
    """

    def __init__(
        self,
        feature_names: Sequence[str],
        defaults: Sequence[float],
        rows: Mapping[str, tuple[Sequence[float], int]] | None = None,
    ) -> None:
        self._names = list(feature_names)
        self._defaults = np.asarray(defaults, dtype=np.float64)
        self._rows = dict(rows or {})
        self.available = True
        self.calls = 0

    @property
    def feature_names(self) -> list[str]:
        """Column names."""
        return list(self._names)

    def put(self, entity_id: str, values: Sequence[float], updated_at_ms: int) -> None:
        """Store an entity's features."""
        self._rows[entity_id] = (values, updated_at_ms)

    def request(self, events: Sequence[Mapping[str, Any]]) -> Callable[[], OnlineFeatures]:
        """:meth:`get` when the returned function is called."""
        return lambda: self.get(events)

    def get(self, events: Sequence[Mapping[str, Any]]) -> OnlineFeatures:
        """Stored values of each event's card or defaults; raises InfrastructureError while
        ``available`` is off."""
        self.calls += 1
        if not self.available:
            raise InfrastructureError("in-memory feature source switched off")
        entity_ids = [str(e["card_id"]) for e in events]
        at_ms = [int(e["event_time"]) for e in events]
        n = len(entity_ids)
        values = np.tile(self._defaults, (n, 1)).reshape(n, len(self._names))
        missing = np.ones(n, dtype=bool)
        freshness = np.zeros(n, dtype=np.int64)
        for i, entity in enumerate(entity_ids):
            row = self._rows.get(entity)
            if row is not None:
                values[i] = row[0]
                missing[i] = False
                freshness[i] = int(at_ms[i]) - row[1]
        return OnlineFeatures(values, missing, freshness)
