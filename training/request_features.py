"""Request-time features: what the event itself says, in a fixed order shared with inference.

The function is pure and vectorised over a list of decoded ``transaction.v2`` dicts, so the
offline dataset and the online scorer build byte-identical vectors from the same event.

Example:
    >>> spec = RequestFeatures()
    >>> row = spec.transform([{"amount": 10.0, "channel": "ECOM", "event_time": 0,
    ...                        "merchant_category": "7995", "country": "FR",
    ...                        "home_country": "DE"}])[0]
    >>> dict(zip(spec.names, row.tolist()))["channel_ecom"], float(row[-2])
    (1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

CHANNELS: tuple[str, ...] = ("POS", "ECOM", "ATM", "MOTO")

# Merchant category codes commonly treated as high / elevated fraud risk (gambling, money
# transfer, quasi-cash, digital goods, jewellery, electronics). A coarse, versioned bucket is
# more stable online than a learned per-MCC rate, which would itself need point-in-time care.
HIGH_RISK_MCC: frozenset[str] = frozenset({"4829", "6051", "6211", "7995", "5967", "6540"})
ELEVATED_RISK_MCC: frozenset[str] = frozenset({"5732", "5944", "5999", "4722", "5816", "6011"})

_MS_PER_HOUR = 3_600_000


@dataclass(frozen=True)
class RequestFeatures:
    """The request-time feature spec: names in model input order and their computation.

    Attributes:
        version: Bumped whenever a name, its order or its meaning changes.
    """

    version: int = 1

    @property
    def names(self) -> tuple[str, ...]:
        """Feature names in the column order of :meth:`transform`."""
        channels = tuple(f"channel_{c.lower()}" for c in CHANNELS)
        return (
            "amount",
            "log_amount",
            *channels,
            "hour_of_day",
            "mcc_risk_bucket",
            "is_foreign",
            "has_device",
        )

    def transform(self, events: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float32]:
        """Computes the request-time features of each event.

        Args:
            events: Decoded ``transaction.v2`` records (v1 records work: the v2 fields
                default to absent).

        Returns:
            A float32 array of shape ``(len(events), len(self.names))``.
        """
        if not events:
            return np.zeros((0, len(self.names)), dtype=np.float32)
        amount = np.array([float(e["amount"]) for e in events], dtype=np.float64)
        channel = np.array([str(e.get("channel", "POS")) for e in events], dtype=object)
        event_time = np.array([int(e["event_time"]) for e in events], dtype=np.int64)
        mcc = [str(e.get("merchant_category", "")) for e in events]
        one_hot = [(channel == c).astype(np.float64) for c in CHANNELS]
        hour = (event_time // _MS_PER_HOUR) % 24
        risk = np.array([_mcc_bucket(m) for m in mcc], dtype=np.float64)
        foreign = np.array([_is_foreign(e) for e in events], dtype=np.float64)
        device = np.array([e.get("device_id") is not None for e in events], dtype=np.float64)
        columns = [amount, np.log1p(amount), *one_hot, hour.astype(np.float64), risk, foreign]
        columns.append(device)
        return np.column_stack(columns).astype(np.float32)


def _mcc_bucket(mcc: str) -> float:
    if mcc in HIGH_RISK_MCC:
        return 2.0
    if mcc in ELEVATED_RISK_MCC:
        return 1.0
    return 0.0


def _is_foreign(event: Mapping[str, Any]) -> bool:
    home = event.get("home_country")
    return home is not None and home != event.get("country")
