"""Polled messages: those carrying records go on; errors are counted, end-of-partition
events are not errors."""

from __future__ import annotations

from confluent_kafka import KafkaError
from prometheus_client import CollectorRegistry

from inference.metrics import InferenceMetrics
from inference.stages import usable_messages


class Polled:
    """What the runner reads of a polled confluent-kafka message."""

    def __init__(self, name: str, error: KafkaError | None = None) -> None:
        self.name, self._error = name, error

    def error(self) -> KafkaError | None:
        return self._error


def test_records_go_on_in_order_and_only_real_errors_are_counted() -> None:
    metrics = InferenceMetrics(CollectorRegistry())
    polled = [
        Polled("a"),
        Polled("eof", KafkaError(KafkaError._PARTITION_EOF)),
        Polled("b"),
        Polled("broken", KafkaError(KafkaError._TRANSPORT)),
        Polled("c"),
    ]
    assert [m.name for m in usable_messages(polled, metrics)] == ["a", "b", "c"]
    assert metrics.errors.labels("consumer")._value.get() == 1
    assert [m.name for m in usable_messages(polled[:1], metrics)] == ["a"]
    assert metrics.errors.labels("consumer")._value.get() == 1
