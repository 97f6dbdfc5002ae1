"""The Redis online store as the inference service's feature source.

Columns are every view's features, views in catalogue order (the trainer's order too);
each view is read with its own entity key (card, merchant), all views in one MGET.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from inference.features import OnlineFeatures
from streams.features.definitions import FeatureView
from streams.features.online_store import RedisOnlineStore
from streams.features.row_codec import warm_up


class RedisFeatureSource:
    """Point-in-time online features of a batch of events in one round trip.

    Args:
        store: The online store the aggregator writes.
        views: Views in model-input order.
    """

    def __init__(self, store: RedisOnlineStore, views: Sequence[FeatureView]) -> None:
        self._store = store
        self._views = tuple(views)
        self._names = [name for view in self._views for name in view.feature_names]
        for view in self._views:
            # A missing row takes the same path as a stored one.
            warm_up(view)

    @property
    def feature_names(self) -> list[str]:
        """Every view's feature names, in order."""
        return list(self._names)

    def get(self, events: Sequence[Mapping[str, Any]]) -> OnlineFeatures:
        """Features as of each event's time without the event itself.

        ``missing`` is set where any view had no row for the event's entity (the defaults
        were used); ``freshness_ms`` is the oldest view's age.

        Raises:
            OnlineStoreError: Redis cannot be read (an InfrastructureError: callers retry).
        """
        return self.request(events)()

    def request(self, events: Sequence[Mapping[str, Any]]) -> Callable[[], OnlineFeatures]:
        """:meth:`get` in two steps: the read is sent now; the returned function waits for
        it and evaluates it.

        Raises:
            OnlineStoreError: Redis cannot be read (now, or from the returned function).
        """
        n = len(events)
        event_ids = [str(e["event_id"]) for e in events]
        at_ms = [int(e["event_time"]) for e in events]
        ids = [[str(e[view.key_field]) for e in events] for view in self._views]
        evaluate = self._store.read_views(self._views, ids, event_ids, at_ms)

        def combine() -> OnlineFeatures:
            blocks = []
            missing = np.zeros(n, dtype=bool)
            freshness = np.zeros(n, dtype=np.float64)
            for online in evaluate():
                blocks.append(online.values)
                missing |= ~online.found
                age = np.nan_to_num(online.freshness_ms, nan=0.0)
                freshness = np.maximum(freshness, age)
            values = np.hstack(blocks) if blocks else np.zeros((n, 0))
            return OnlineFeatures(values, missing, freshness.astype(np.int64))

        return combine
