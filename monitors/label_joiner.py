"""Joins delayed labels to the predictions they judge, in bounded memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from monitors.exceptions import InvalidRecordError, MonitorConfigError
from monitors.model_key import ModelKey

Record = Mapping[str, Any]


@dataclass(frozen=True)
class JoinedLabel:
    """A prediction with its ground truth.

    Attributes:
        event_id: The event both records are about.
        key: The model that scored it.
        score: The predicted probability of fraud.
        threshold: The decision threshold the model served with.
        is_fraud: The label.
        event_time: When the event happened (epoch ms).
        label_time: When the label became known (epoch ms).
    """

    event_id: str
    key: ModelKey
    score: float
    threshold: float
    is_fraud: bool
    event_time: int
    label_time: int

    @property
    def y(self) -> int:
        """The label as 0 or 1."""
        return int(self.is_fraud)


@dataclass(frozen=True)
class JoinCounts:
    """What the joiner has seen, for metrics and tests.

    Attributes:
        joined: Prediction-label pairs emitted (an event scored by champion and shadow
            joins twice).
        labels_before_prediction: Labels that arrived before their prediction (later joined
            or not).
        duplicate_labels: Labels for an event that already had one; the first label wins.
        duplicate_predictions: Predictions of an event by a model version and variant already
            held (at-least-once delivery repeats a batch after an inference restart); not
            joined again.
        labels_without_prediction: Labels dropped with no prediction seen within the TTL.
        predictions_expired: Predictions dropped with no label within the TTL.
        evicted_for_capacity: Entries dropped early because ``max_entries`` was reached
            (also counted as expired or without prediction).
    """

    joined: int = 0
    labels_before_prediction: int = 0
    duplicate_labels: int = 0
    duplicate_predictions: int = 0
    labels_without_prediction: int = 0
    predictions_expired: int = 0
    evicted_for_capacity: int = 0


class LabelJoiner:
    """Joins label.v1 records to prediction.v1 records by event id, whichever comes first.

    Time is event time: the watermark is the largest ``event_time`` or ``label_time`` seen.
    A prediction waits for its label until the watermark passes its ``event_time`` plus the
    TTL; a label waits for its prediction (and then guards against duplicates and joins late
    shadow predictions) until the watermark passes its ``label_time`` plus the TTL. Each store
    also holds at most ``max_entries`` events, evicting the oldest inserted first.

    Args:
        ttl_ms: How long, in event time, an entry waits for its counterpart.
        max_entries: Upper bound on events held in each of the two stores.
    """

    def __init__(self, ttl_ms: int, max_entries: int) -> None:
        if ttl_ms <= 0 or max_entries <= 0:
            raise MonitorConfigError("ttl_ms and max_entries must be positive")
        self._ttl_ms = ttl_ms
        self._max_entries = max_entries
        self._predictions: OrderedDict[str, list[Record]] = OrderedDict()
        # A label, and the models whose predictions it joined (empty: none yet).
        self._labels: OrderedDict[str, tuple[Record, set[ModelKey]]] = OrderedDict()
        self._watermark = 0
        self._counts = JoinCounts()

    @property
    def counts(self) -> JoinCounts:
        """Counters since the joiner was created."""
        return self._counts

    def reset_counts(self) -> None:
        """Start the counters from zero (after state was rebuilt by replaying records)."""
        self._counts = JoinCounts()

    def waiting(self) -> tuple[int, int]:
        """Predictions waiting for a label, and labels waiting for a prediction."""
        labels = sum(1 for _, joined in self._labels.values() if not joined)
        return sum(len(p) for p in self._predictions.values()), labels

    def expire(self, watermark_ms: int) -> None:
        """Advances event time without a record, e.g. on an idle poll, and drops what expired."""
        self._advance(watermark_ms)
        self._evict()

    def is_duplicate(self, prediction: Record) -> bool:
        """Whether a prediction of this event by the same model and variant is already held.

        Raises:
            InvalidRecordError: If the record lacks an id or a model key.
        """
        event_id = _field(prediction, "event_id", str)
        label = self._labels.get(event_id)
        if label is not None:
            return ModelKey.of(prediction) in label[1]
        held = self._predictions.get(event_id)
        if not held:  # the common case: a key is built only for events already held
            return False
        key = ModelKey.of(prediction)
        return any(ModelKey.of(p) == key for p in held)

    def add_prediction(self, prediction: Record) -> list[JoinedLabel]:
        """Feeds one prediction; returns the pairs it completed (none or one). A repeat of a
        held prediction is counted and ignored.

        Raises:
            InvalidRecordError: If the record lacks an id, time, model key, score or threshold.
        """
        event_id = _field(prediction, "event_id", str)
        self._advance(_field(prediction, "event_time", int))
        if self.is_duplicate(prediction):
            self._count(duplicate_predictions=1)
            return []
        label = self._labels.get(event_id)
        joined = []
        if label is None:
            self._predictions.setdefault(event_id, []).append(prediction)
        else:
            label[1].add(ModelKey.of(prediction))
            joined.append(self._join(prediction, label[0]))
        self._evict()
        return joined

    def add_label(self, label: Record) -> list[JoinedLabel]:
        """Feeds one label; returns the pairs it completed (one per variant that scored it).

        Raises:
            InvalidRecordError: If the record lacks an id, a label time or ``is_fraud``.
        """
        event_id = _field(label, "event_id", str)
        _field(label, "is_fraud", bool)
        self._advance(_field(label, "label_time", int))
        if event_id in self._labels:
            self._count(duplicate_labels=1)
            return []
        predictions = self._predictions.pop(event_id, [])
        self._labels[event_id] = (label, {ModelKey.of(p) for p in predictions})
        if not predictions:
            self._count(labels_before_prediction=1)
        self._evict()
        return [self._join(prediction, label) for prediction in predictions]

    def _join(self, prediction: Record, label: Record) -> JoinedLabel:
        self._count(joined=1)
        try:
            return JoinedLabel(
                event_id=str(prediction["event_id"]),
                key=ModelKey.of(prediction),
                score=float(prediction["score"]),
                threshold=float(prediction["threshold"]),
                is_fraud=bool(label["is_fraud"]),
                event_time=int(prediction["event_time"]),
                label_time=int(label["label_time"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidRecordError(f"{prediction.get('event_id')}: {error}") from error

    def _advance(self, time_ms: int) -> None:
        self._watermark = max(self._watermark, time_ms)

    def _evict(self) -> None:
        cutoff = self._watermark - self._ttl_ms
        while self._predictions:
            event_id, predictions = next(iter(self._predictions.items()))
            full = len(self._predictions) > self._max_entries
            if not full and int(predictions[0]["event_time"]) >= cutoff:
                break
            del self._predictions[event_id]
            self._count(predictions_expired=len(predictions), evicted_for_capacity=int(full))
        while self._labels:
            event_id, (label, joined) = next(iter(self._labels.items()))
            full = len(self._labels) > self._max_entries
            if not full and int(label["label_time"]) >= cutoff:
                break
            del self._labels[event_id]
            self._count(labels_without_prediction=int(not joined), evicted_for_capacity=int(full))

    def _count(self, **increments: int) -> None:
        current = self._counts
        self._counts = replace(
            current, **{name: getattr(current, name) + n for name, n in increments.items()}
        )


def _field(record: Record, name: str, kind: type[Any]) -> Any:
    value = record.get(name)
    if not isinstance(value, kind):
        raise InvalidRecordError(
            f"{record.get('event_id')!r}: {name} missing or not {kind.__name__}"
        )
    return value
