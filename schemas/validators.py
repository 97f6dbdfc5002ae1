"""Domain checks a record must pass beyond its Avro types (finite amounts, sane times)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from schemas.exceptions import InvalidValueError

Validator = Callable[[Mapping[str, Any]], None]

MAX_AMOUNT = 1e9
# 2000-01-01 and 2100-01-01 in epoch milliseconds: anything outside is a unit error.
MIN_TIME_MS = 946_684_800_000
MAX_TIME_MS = 4_102_444_800_000
MAX_ID_LENGTH = 256


def _check_time(record: Mapping[str, Any], name: str) -> None:
    value = record[name]
    if not MIN_TIME_MS <= value < MAX_TIME_MS:
        raise InvalidValueError(f"{name}={value} is not epoch milliseconds in 2000..2100")


def _check_ids(record: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = record[name]
        if not value or len(value) > MAX_ID_LENGTH:
            raise InvalidValueError(f"{name} must be 1..{MAX_ID_LENGTH} characters")


def check_transaction(record: Mapping[str, Any]) -> None:
    """Amount finite and in [0, 1e9]; ids non-empty and short; event time in range."""
    amount = record["amount"]
    if not math.isfinite(amount) or not 0.0 <= amount <= MAX_AMOUNT:
        raise InvalidValueError(f"amount={amount!r} is not a finite value in [0, {MAX_AMOUNT:g}]")
    _check_ids(record, "event_id", "card_id", "merchant_id")
    _check_time(record, "event_time")


def check_label(record: Mapping[str, Any]) -> None:
    """Event id non-empty; label time in range."""
    _check_ids(record, "event_id")
    _check_time(record, "label_time")


def check_prediction(record: Mapping[str, Any]) -> None:
    """Score is a probability; threshold too."""
    for name in ("score", "threshold"):
        value = record[name]
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise InvalidValueError(f"{name}={value!r} is not in [0, 1]")


VALIDATORS: dict[str, Validator] = {
    "transaction": check_transaction,
    "label": check_label,
    "prediction": check_prediction,
}
