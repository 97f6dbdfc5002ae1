"""Sending dead letters back to their source topic, as they were or with fixed values."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from streams.kafka.dead_letter import DeadLetter
from streams.kafka.message import WireHeaders


@dataclass(frozen=True)
class Replay:
    """One record to send back: where to, which bytes, and which dead letter it replaces."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: WireHeaders
    dead_letter_offset: int


def load_fixes(lines: Iterable[str]) -> dict[int, bytes]:
    """Read fixes: JSON lines ``{"dlq_offset": N, "value": {...}}`` (a JSON record, encoded
    later as JSON the consumer accepts) or ``{"dlq_offset": N, "value_base64": "..."}``."""
    fixes: dict[int, bytes] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item: Mapping[str, Any] = json.loads(line)
        if "dlq_offset" not in item:
            raise ValueError(f"line {number}: every fix names the dlq_offset it replaces")
        if "value_base64" in item:
            fixes[int(item["dlq_offset"])] = base64.b64decode(item["value_base64"])
        elif "value" in item:
            fixes[int(item["dlq_offset"])] = json.dumps(item["value"]).encode()
        else:
            raise ValueError(f"line {number}: give value or value_base64")
    return fixes


def plan_replay(
    letters: Iterable[tuple[int, DeadLetter]],
    fixes: Mapping[int, bytes],
    only_fixed: bool,
    reason: str | None = None,
) -> list[Replay]:
    """Which dead letters (by their offset in the dead-letter topic) go back, with which bytes."""
    plan: list[Replay] = []
    for dlq_offset, letter in letters:
        if reason is not None and letter.reason != reason:
            continue
        if only_fixed and dlq_offset not in fixes:
            continue
        value = fixes.get(dlq_offset, letter.value)
        headers: WireHeaders = [
            *letter.headers,
            ("eventml.replayed.from", str(dlq_offset).encode()),
        ]
        plan.append(Replay(letter.source_topic, letter.key, value, headers, dlq_offset))
    return plan
