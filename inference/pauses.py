"""Which of the consumer's partitions are paused, kept exactly as wanted.

librdkafka keeps a partition's pause across a rebalance: a partition paused when it was
revoked stays paused when the next assignment gives it back, and nothing is fetched from it
again. So partitions are resumed as they are revoked, and the set of paused partitions is
always the one this class applied.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

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

    def apply(self, hold_all: bool, full: Collection[Partition]) -> None:
        """Pause every assigned partition if ``hold_all`` (backpressure, feature source down),
        else exactly the assigned ones in ``full``; resume the rest."""
        if not (hold_all or full or self._paused):
            return
        consumer = self._consumer()
        assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        wanted = assigned if hold_all else assigned.intersection(full)
        pause, resume = wanted - self._paused, self._paused - wanted
        if pause:
            consumer.pause(_partitions(pause))
        if resume:
            consumer.resume(_partitions(resume))
        if pause or resume:
            self._paused = wanted
            self._metrics.paused.set(len(wanted))

    def revoked(self, partitions: Iterable[Partition]) -> None:
        """Resume revoked partitions before they go (see the module docstring)."""
        gone = self._paused.intersection(partitions)
        if gone:
            self._consumer().resume(_partitions(gone))
            self._paused -= gone
            self._metrics.paused.set(len(self._paused))


def _partitions(keys: Iterable[Partition]) -> list[TopicPartition]:
    return [TopicPartition(topic, partition) for topic, partition in sorted(keys)]
