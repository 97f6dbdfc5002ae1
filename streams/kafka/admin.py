"""Idempotent topic creation, listing and deletion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from streams.exceptions import InfrastructureError
from streams.kafka.topics import TopicSpec


@dataclass(frozen=True)
class TopicInfo:
    """A topic as the broker reports it."""

    name: str
    partitions: int


def create_topics(
    admin: AdminClient, specs: Sequence[TopicSpec], timeout_s: float = 15.0
) -> dict[str, str]:
    """Create the topics that do not exist yet.

    Returns:
        ``{name: "created" | "exists"}`` for every spec.

    Raises:
        InfrastructureError: When the broker refuses or does not answer.
    """
    existing = set(list_topics(admin, timeout_s))
    result = {s.name: "exists" for s in specs if s.name in existing}
    missing = [
        NewTopic(s.name, num_partitions=s.partitions, replication_factor=1, config=s.config())
        for s in specs
        if s.name not in existing
    ]
    if not missing:
        return result
    for name, future in admin.create_topics(missing, operation_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
            result[name] = "created"
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                result[name] = "exists"
            else:
                raise InfrastructureError(f"cannot create topic {name}: {exc}") from exc
    return result


def list_topics(admin: AdminClient, timeout_s: float = 10.0) -> dict[str, TopicInfo]:
    """All non-internal topics on the cluster."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise InfrastructureError(f"broker did not answer a metadata request: {exc}") from exc
    return {
        name: TopicInfo(name, len(topic.partitions))
        for name, topic in metadata.topics.items()
        if not name.startswith("__")
    }


def delete_topics(admin: AdminClient, names: Sequence[str], timeout_s: float = 15.0) -> None:
    """Delete ``names``; topics already gone are not an error.

    Raises:
        InfrastructureError: When the broker refuses or does not answer.
    """
    if not names:
        return
    for name, future in admin.delete_topics(list(names), operation_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as exc:
            error = exc.args[0]
            if not (
                isinstance(error, KafkaError) and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
            ):
                raise InfrastructureError(f"cannot delete topic {name}: {exc}") from exc
