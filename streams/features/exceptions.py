"""Errors of the feature-store layer."""

from __future__ import annotations

from streams.exceptions import EventmlError, InfrastructureError


class FeatureError(EventmlError):
    """Base class of every error raised by ``streams.features``."""


class DefinitionError(FeatureError):
    """A feature view, aggregation or window that cannot be computed as declared."""


class UnknownViewError(DefinitionError):
    """A feature view name that is not in the catalogue."""


class InvalidEventError(FeatureError):
    """An event the aggregator cannot use (missing key, non-finite value...).

    ``reason`` is a short, stable code for dead-letter headers and metric labels.
    """

    reason = "invalid_feature_input"


class RowFormatError(FeatureError):
    """A stored feature row whose bytes do not match the expected layout."""


class OnlineStoreError(FeatureError, InfrastructureError):
    """The Redis online store could not be written or read."""


class BundleFormatError(FeatureError):
    """A repartition message whose bytes are not a whole event bundle."""

    reason = "bad_event_bundle"
