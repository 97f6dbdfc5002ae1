"""Which of the consumer's partitions are paused, kept exactly as wanted.

librdkafka keeps a partition's pause across a rebalance: a partition paused when it was
revoked stays paused when the next assignment gives it back, and nothing is fetched from it
again. So partitions are resumed as they are revoked, and the set of paused partitions is
always the one this class applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, TopicPartition

from inference.metrics import InferenceMetrics
from inference.replay_window import Partition


class PartitionPauses:
    """Applies the wanted pauses to the consumer.

    Args:
        consumer: Returns the group's consumer.
        metrics: ``paused`` is set to the number of paused partitions.
    """

    def __init__(self, consumer: Callable[[], Consumer], metrics: InferenceMetrics) -> None:
        self._consumer, self._metrics = consumer, metrics
        self._paused: set[Partition] = set()

    @property
    def paused(self) -> frozenset[Partition]:
        """Partitions paused now."""
        return frozenset(self._paused)

    def apply(self, hold_all: bool) -> None:
        """Pause every assigned partition if ``hold_all`` (backpressure, feature source down),
        else resume those paused."""
        if hold_all == bool(self._paused):
            return
        consumer = self._consumer()
        if hold_all:
            self._paused = {(tp.topic, tp.partition) for tp in consumer.assignment()}
            consumer.pause(_partitions(self._paused))
        else:
            consumer.resume(_partitions(self._paused))
            self._paused = set()
        self._metrics.paused.set(len(self._paused))

    def revoked(self, partitions: Iterable[Partition]) -> None:
        """Resume revoked partitions before they go (see the module docstring)."""
        gone = self._paused.intersection(partitions)
        if gone:
            self._consumer().resume(_partitions(gone))
            self._paused -= gone
            self._metrics.paused.set(len(self._paused))


def _partitions(keys: Iterable[Partition]) -> list[TopicPartition]:
    return [TopicPartition(topic, partition) for topic, partition in sorted(keys)]
