"""The append-only audit of alias changes, stored as registered-model tags.

MLflow keeps only the current holder of an alias. Every change is recorded here as a tag
``eventml.alias_history.<seq>`` on the registered model whose value is the change as JSON;
entries are only ever added under a new sequence number, never rewritten. Keeping the audit
in the registry itself means it lives (and is backed up) with the aliases, for an embedded
SQLite store and a tracking server alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from mlflow.tracking import MlflowClient

from training.model_events import ModelAction

TAG_PREFIX = "eventml.alias_history."


@dataclass(frozen=True)
class AliasChange:
    """One alias change.

    Attributes:
        time_ms: When, epoch milliseconds.
        model_name: Registered model.
        alias: ``champion``, ``challenger``, ``shadow``...
        from_version: Holder before the change (``None`` if the alias was free).
        to_version: Holder after the change (``None`` if the alias was removed).
        action: ``PROMOTED``, ``ALIAS_SET``, ``ROLLED_BACK`` or ``ALIAS_REMOVED``.
        reason: Why, in the actor's words.
        actor: Who or what made the change.
    """

    time_ms: int
    model_name: str
    alias: str
    from_version: str | None
    to_version: str | None
    action: ModelAction
    reason: str
    actor: str


def read_history(client: MlflowClient, name: str) -> list[AliasChange]:
    """All recorded changes of a registered model, oldest first."""
    tags: dict[str, str] = client.get_registered_model(name).tags
    keys = sorted(k for k in tags if k.startswith(TAG_PREFIX))
    return [_decode(tags[k]) for k in keys]


def append_change(client: MlflowClient, change: AliasChange) -> None:
    """Records a change under the next free sequence number."""
    tags: dict[str, str] = client.get_registered_model(change.model_name).tags
    sequence = sum(1 for k in tags if k.startswith(TAG_PREFIX))
    while f"{TAG_PREFIX}{sequence:08d}" in tags:
        sequence += 1
    value = json.dumps(asdict(change), sort_keys=True)
    client.set_registered_model_tag(change.model_name, f"{TAG_PREFIX}{sequence:08d}", value)


def rollback_target(history: list[AliasChange], alias: str) -> str | None:
    """The version a rollback of ``alias`` returns to, replaying the history as a stack.

    Setting the alias pushes its new holder; a rollback pops back to the holder before; a
    removal empties the stack. So v1, v2, v3 then two rollbacks give v2 then v1.
    """
    stack: list[str] = []
    for change in history:
        if change.alias != alias:
            continue
        if change.action == "ALIAS_REMOVED":
            stack = []
        elif change.action == "ROLLED_BACK":
            stack = stack[:-1]
        elif change.to_version is not None:
            stack.append(change.to_version)
    return stack[-2] if len(stack) >= 2 else None


def _decode(value: str) -> AliasChange:
    fields: dict[str, Any] = json.loads(value)
    return AliasChange(**fields)
