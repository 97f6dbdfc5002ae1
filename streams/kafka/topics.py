"""The topic catalogue: every topic eventml uses, with partitions, retention and cleanup."""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000
DEAD_LETTER_SUFFIX = "-dlq"


@dataclass(frozen=True)
class TopicSpec:
    """One topic as eventml creates it.

    Attributes:
        name: Full name, environment prefix included.
        partitions: Partition count; consumer parallelism is capped by it.
        retention_ms: Always explicit: some brokers report only explicitly set configs.
        cleanup_policy: ``delete`` or ``compact``.
        description: What flows through it, for ``eventml topics list``.
        record: Short name of the Avro record it carries (``None`` for dead letters).
    """

    name: str
    partitions: int
    retention_ms: int
    cleanup_policy: str
    description: str
    record: str | None

    def config(self) -> dict[str, str]:
        """Topic-level configs passed at creation."""
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


@dataclass(frozen=True)
class _Base:
    name: str
    record: str | None
    retention_days: int
    scaled: bool  # partitions follow the catalogue's partition count, else one
    consumed: bool  # consumed by an eventml service, so it has a dead-letter topic
    description: str
    cleanup_policy: str = "delete"


_BASES: tuple[_Base, ...] = (
    _Base("events", "transaction", 7, True, True, "card transactions from producers"),
    _Base("labels", "label", 30, True, True, "delayed ground truth (chargebacks)"),
    _Base("predictions", "prediction", 7, True, True, "served scores, keyed by entity"),
    _Base("predictions-shadow", "prediction", 7, True, True, "shadow-model scores, never served"),
    _Base("alerts", "alert", 30, False, False, "drift and quality alerts"),
    _Base("model-events", "model_event", 365, False, True, "registry changes services act on"),
    _Base("retrain-requests", "retrain_request", 30, False, True, "requests for the trainer"),
    _Base("late-events", "transaction", 7, True, False, "events later than allowed lateness"),
)


class TopicCatalogue:
    """Names and specs of all topics, with an optional per-environment prefix.

    Args:
        prefix: Prepended to every name, e.g. ``staging.``.
        partitions: Partitions of the scaled topics (events, labels, predictions...).

    Example:
        >>> TopicCatalogue(prefix="dev.").dead_letter_of("dev.events")
        'dev.events-dlq'
    """

    def __init__(self, prefix: str = "", partitions: int = 4) -> None:
        self.prefix = prefix
        self.partitions = partitions

    def name(self, base: str) -> str:
        """Full name of a base topic name such as ``events``."""
        if base not in {b.name for b in _BASES}:
            raise KeyError(f"unknown topic {base!r}")
        return f"{self.prefix}{base}"

    @property
    def events(self) -> str:
        return self.name("events")

    @property
    def labels(self) -> str:
        return self.name("labels")

    @property
    def predictions(self) -> str:
        return self.name("predictions")

    @property
    def predictions_shadow(self) -> str:
        return self.name("predictions-shadow")

    @property
    def alerts(self) -> str:
        return self.name("alerts")

    @property
    def model_events(self) -> str:
        return self.name("model-events")

    @property
    def retrain_requests(self) -> str:
        return self.name("retrain-requests")

    @property
    def late_events(self) -> str:
        return self.name("late-events")

    @staticmethod
    def dead_letter_of(topic: str) -> str:
        """The dead-letter topic of a consumed topic."""
        return f"{topic}{DEAD_LETTER_SUFFIX}"

    def record_of(self, topic: str) -> str | None:
        """Short Avro record name carried by ``topic`` (None for dead letters / unknown)."""
        for spec in self.specs():
            if spec.name == topic:
                return spec.record
        return None

    def specs(self) -> list[TopicSpec]:
        """Every topic, dead-letter topics included, in creation order."""
        out: list[TopicSpec] = []
        for base in _BASES:
            partitions = self.partitions if base.scaled else 1
            name = self.name(base.name)
            retention = base.retention_days * DAY_MS
            out.append(
                TopicSpec(
                    name, partitions, retention, base.cleanup_policy, base.description, base.record
                )
            )
            if base.consumed:
                out.append(
                    TopicSpec(
                        self.dead_letter_of(name),
                        1,
                        30 * DAY_MS,
                        "delete",
                        f"dead letters of {name}",
                        None,
                    )
                )
        return out
