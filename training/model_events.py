"""Model-event dicts shaped like ``schemas/model_event.v1.avsc``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

ALIASES = ("champion", "challenger", "shadow")

ModelAction = Literal[
    "REGISTERED",
    "ALIAS_SET",
    "ALIAS_REMOVED",
    "PROMOTED",
    "ROLLED_BACK",
    "GATE_FAILED",
    "TRAINING_FAILED",
]


@dataclass(frozen=True)
class ModelEvent:
    """One registry change that running services act on."""

    model_name: str
    version: str
    action: ModelAction
    time_ms: int
    alias: str | None = None
    previous_version: str | None = None
    reason: str = ""
    actor: str = "eventml"
    artifact_sha256: str | None = None
    run_id: str | None = None

    def to_record(self, event_id: str | None = None) -> dict[str, Any]:
        """The ``model_event.v1`` record (a fresh UUID unless ``event_id`` is given)."""
        return {
            "event_id": event_id or str(uuid.uuid4()),
            "model_name": self.model_name,
            "version": self.version,
            "alias": self.alias,
            "action": self.action,
            "previous_version": self.previous_version,
            "reason": self.reason,
            "actor": self.actor,
            "artifact_sha256": self.artifact_sha256,
            "run_id": self.run_id,
            "time": self.time_ms,
        }
