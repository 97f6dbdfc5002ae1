"""A seeded, fraud-like event stream for tests, demos and the training benchmark.

Fraud is more likely for large amounts, e-commerce and MOTO, high-risk merchant categories,
cards used abroad, night hours and bursts of activity on a card, so both request-time and
historical features carry signal. Labels arrive 1 to 30 days after the event.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from training.request_features import CHANNELS, HIGH_RISK_MCC

_START_MS = 1_700_000_000_000
_DAY_MS = 86_400_000
_MCCS = ("5411", "5812", "5732", "4829", "7995", "5999", "5541", "6011")
_COUNTRIES = ("DE", "FR", "NL", "ES", "US")


def synthetic_events(
    rows: int, seed: int, cards: int = 200, days: int = 30
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Time-ordered ``transaction.v2`` events and their ``label.v1`` labels."""
    rng = np.random.default_rng(seed)
    times = np.sort(_START_MS + rng.integers(0, days * _DAY_MS, size=rows))
    card = rng.integers(0, cards, size=rows)
    amount = np.round(rng.lognormal(3.5, 1.0, size=rows), 2)
    channel = rng.choice(len(CHANNELS), size=rows, p=[0.55, 0.35, 0.05, 0.05])
    mcc = rng.choice(len(_MCCS), size=rows)
    country = rng.choice(len(_COUNTRIES), size=rows, p=[0.6, 0.1, 0.1, 0.1, 0.1])
    burst = _burst(times, card)
    hour = (times // 3_600_000) % 24
    logit = (
        -5.0
        + 0.6 * (np.log1p(amount) - 3.5)
        + 0.8 * np.isin(channel, [1, 3])
        + 1.2 * np.isin(np.array(_MCCS)[mcc], sorted(HIGH_RISK_MCC))
        + 1.0 * (country != 0)
        + 0.7 * (hour < 5)
        + 0.9 * burst
    )
    fraud = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    delay = rng.integers(_DAY_MS, 30 * _DAY_MS, size=rows)
    events, labels = [], []
    for i in range(rows):
        event_id = f"e{seed}-{i:07d}"
        events.append(
            {
                "event_id": event_id,
                "card_id": f"c{card[i]:05d}",
                "merchant_id": f"m{mcc[i]}",
                "amount": float(amount[i]),
                "currency": "EUR",
                "merchant_category": _MCCS[mcc[i]],
                "country": _COUNTRIES[country[i]],
                "channel": CHANNELS[channel[i]],
                "event_time": int(times[i]),
                "home_country": "DE",
                "device_id": f"d{card[i]}" if channel[i] == 1 else None,
            }
        )
        labels.append(
            {
                "event_id": event_id,
                "card_id": f"c{card[i]:05d}",
                "is_fraud": bool(fraud[i]),
                "label_time": int(times[i] + delay[i]),
            }
        )
    return events, labels


def _burst(times: npt.NDArray[np.int64], card: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """1.0 where the card had at least two events in the previous hour."""
    out = np.zeros(times.size)
    recent: dict[int, deque[int]] = defaultdict(deque)
    for i, (t, c) in enumerate(zip(times.tolist(), card.tolist(), strict=True)):
        window = recent[c]
        while window and window[0] <= t - 3_600_000:
            window.popleft()
        out[i] = float(len(window) >= 2)
        window.append(t)
    return out


class CardHistoryFeatures:
    """A small point-in-time feature source over an in-memory log (for tests and benchmarks).

    Per card, from events strictly before the query event's time: the count in the last
    hour and day, and the mean amount in the last day. The feature store's backfill plays
    this role in production.
    """

    feature_names: tuple[str, ...] = ("card_count_1h", "card_count_24h", "card_mean_amount_24h")

    def __init__(self, log: Sequence[Mapping[str, Any]]) -> None:
        by_card: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for event in log:
            by_card[str(event["card_id"])].append(
                (int(event["event_time"]), float(event["amount"]))
            )
        self._times = {c: np.array(sorted(v))[:, 0] for c, v in by_card.items()}
        self._amounts = {c: np.array(sorted(v))[:, 1] for c, v in by_card.items()}

    def features_for(self, events: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        """Features of each event from its card's events strictly before it."""
        out = np.zeros((len(events), len(self.feature_names)))
        for i, event in enumerate(events):
            card, t = str(event["card_id"]), int(event["event_time"])
            times = self._times.get(card, np.zeros(0))
            end = int(np.searchsorted(times, t, side="left"))
            hour = end - int(np.searchsorted(times, t - 3_600_000, side="left"))
            day_start = int(np.searchsorted(times, t - _DAY_MS, side="left"))
            amounts = self._amounts[card][day_start:end] if end > day_start else np.zeros(0)
            out[i] = (hour, end - day_start, float(amounts.mean()) if amounts.size else 0.0)
        return out
