"""Errors of the training stage and the model registry."""

from __future__ import annotations

from streams.exceptions import EventmlError


class TrainingError(EventmlError):
    """A training run that cannot produce a usable model; the message says why."""


class EmptyWindowError(TrainingError):
    """No labelled events in the training window (or none left for one of the splits)."""


class SingleClassError(TrainingError):
    """All usable labels in a split have the same class, so no classifier can be scored."""


class SchemaMismatchError(TrainingError):
    """Feature names (or the shape of the feature matrix) differ from what is expected."""


class ExportError(TrainingError):
    """The fitted model could not be converted to ONNX, or the ONNX graph disagrees with it."""


class RegistryError(EventmlError):
    """A registry operation that is not allowed or refers to something that does not exist."""


class NoPreviousVersionError(RegistryError):
    """A rollback was asked for an alias that has no earlier holder to return to."""


class ArtifactIntegrityError(RegistryError):
    """A downloaded model artifact whose sha256 is not the one recorded at registration."""
