"""Each batch's predictions, dead letters and source offsets in one Kafka transaction.

On Apache Kafka a read_committed consumer of the predictions then sees every event scored
exactly once: a crash aborts the open transaction (the restarted instance's
``init_transactions`` fences it) and its offsets were never committed. The embedded broker
delivers aborted records, so there a crash still replays the open batch (at most one).
Transactions cost a few round trips per batch and serialise delivery: a batch's
transaction is committed before the next one begins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from streams.exceptions import InfrastructureError

T = TypeVar("T")


class BatchTransactions:
    """Runs a batch's delivery inside a transaction with its offsets.

    Args:
        producer: A producer configured with a ``transactional.id``.
        consumer: Returns the group's consumer (its group metadata fences zombies).
        timeout_s: Limit of each transactional call.
    """

    def __init__(
        self, producer: Producer, consumer: Callable[[], Consumer], timeout_s: float
    ) -> None:
        self._producer, self._consumer, self._timeout_s = producer, consumer, timeout_s

    def start(self) -> None:
        """Register the transactional id; aborts what a previous instance left open."""
        self._call(self._producer.init_transactions, self._timeout_s)

    def deliver(self, send: Callable[[], T], offsets: list[TopicPartition]) -> T:
        """``send()`` the batch's records, then commit them and ``offsets`` atomically.

        Raises:
            InfrastructureError: The transaction failed; it was aborted if it could be (the
                batch is read again after a restart).
        """
        producer = self._producer
        self._call(producer.begin_transaction)
        try:
            sent = send()
            group = self._consumer().consumer_group_metadata()
            producer.send_offsets_to_transaction(offsets, group, self._timeout_s)
            producer.commit_transaction(self._timeout_s)
        except KafkaException as exc:
            error = exc.args[0]
            if error.txn_requires_abort():
                self._call(producer.abort_transaction, self._timeout_s)
            raise InfrastructureError(f"transaction of a batch failed: {error}") from exc
        return sent

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any) -> None:
        try:
            method(*args)
        except KafkaException as exc:
            raise InfrastructureError(f"Kafka transaction call failed: {exc.args[0]}") from exc
