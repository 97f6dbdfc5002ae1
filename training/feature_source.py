"""The contract between the dataset builder and whatever computes historical features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt


class FeatureSource(Protocol):
    """Point-in-time features for query events, e.g. the feature store's offline backfill.

    For each event, the source returns the features computed from events *strictly before*
    that event's ``event_time`` (never the event itself, never anything later), which is
    what the online store holds at the moment the event is scored.
    """

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns :meth:`features_for` returns, in order."""
        ...

    def features_for(self, events: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.floating[Any]]:
        """Returns an array of shape ``(len(events), len(feature_names))``."""
        ...
