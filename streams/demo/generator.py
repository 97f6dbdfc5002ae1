"""A seeded synthetic card-transaction world with fraud mechanisms and an optional drift.

Pure: the same seed gives the same events and labels. Event time is simulated, so a
day-long window passes in seconds of wall time.

Behaviour: every card has a home country, a spending level (log-normal), a few favourite
merchants and waking hours. Fraud comes as card-testing bursts (many small e-commerce
amounts at unfamiliar merchants within a minute) and account takeovers (large amounts
abroad). After the drift point a new mechanism appears (mail-order spends in the home
country, just above the card's usual level) and the population shifts (higher amounts,
more e-commerce) — so a model trained before it loses quality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "PL", "GB", "US", "BR", "NG")
CATEGORIES = ("5411", "5812", "5541", "5732", "5999", "4121", "7011", "5967", "6011")
CHANNELS = ("POS", "ECOM", "ATM", "MOTO")


@dataclass(frozen=True)
class WorldConfig:
    """Size and pace of the synthetic world."""

    seed: int = 7
    cards: int = 2000
    merchants: int = 300
    events_per_sim_hour: float = 2500.0
    fraud_rate: float = 0.005
    drift_fraud_rate: float = 0.006  # the new (mail-order) mechanism, after the drift
    drift_at: int | None = None  # event index where the drift starts
    label_delay_hours: tuple[float, float] = (1.0, 6.0)


@dataclass
class _Cards:
    home: np.ndarray
    level: np.ndarray
    favourites: np.ndarray


@dataclass
class SyntheticWorld:
    """Generates events (and their labels) one at a time, deterministically."""

    config: WorldConfig
    rng: np.random.Generator = field(init=False)
    index: int = field(init=False, default=0)
    time_ms: float = field(init=False, default=float(T0_MS))

    def __post_init__(self) -> None:
        c = self.config
        self.rng = np.random.default_rng(c.seed)
        self.cards = _Cards(
            home=self.rng.integers(0, 6, c.cards),
            level=self.rng.lognormal(3.2, 0.6, c.cards),
            favourites=self.rng.integers(0, c.merchants, (c.cards, 4)),
        )
        self.merchant_country = self.rng.integers(0, 6, c.merchants)
        self.merchant_category = self.rng.integers(0, len(CATEGORIES), c.merchants)
        self._burst: list[tuple[dict[str, Any], bool]] = []

    @property
    def drifted(self) -> bool:
        """Whether the drift has started at the current event."""
        return self.config.drift_at is not None and self.index >= self.config.drift_at

    def events(self, n: int) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Yield ``n`` (event, label) pairs; a label's ``label_time`` is in the event's future."""
        for _ in range(n):
            event, fraud = self._burst.pop(0) if self._burst else self._next()
            event["event_id"] = f"ev-{self.config.seed}-{self.index:09d}"
            self.index += 1
            yield event, self._label(event, fraud)

    def _tick(self) -> int:
        rate_per_ms = self.config.events_per_sim_hour / 3_600_000
        self.time_ms += float(self.rng.exponential(1 / rate_per_ms))
        return int(self.time_ms)

    def _next(self) -> tuple[dict[str, Any], bool]:
        card = int(self.rng.integers(0, self.config.cards))
        roll = self.rng.random()
        rate = self.config.fraud_rate
        if roll < rate * 0.4:
            return self._card_testing(card)
        if roll < rate * 0.8:
            return self._takeover(card), True
        if self.drifted and roll < rate * 0.8 + self.config.drift_fraud_rate:
            return self._mail_order(card), True
        return self._normal(card), False

    def _event(
        self, card: int, merchant: int, amount: float, channel: str, country: str | None = None
    ) -> dict[str, Any]:
        return {
            "event_id": "",  # numbered when yielded, bursts included
            "card_id": f"card-{card:06d}",
            "merchant_id": f"m-{merchant:05d}",
            "amount": round(float(amount), 2),
            "currency": "EUR",
            "merchant_category": CATEGORIES[int(self.merchant_category[merchant])],
            "country": country or COUNTRIES[int(self.merchant_country[merchant])],
            "channel": channel,
            "event_time": self._tick(),
            "home_country": COUNTRIES[int(self.cards.home[card])],
            "device_id": None,
        }

    def _normal(self, card: int) -> dict[str, Any]:
        merchant = int(self.cards.favourites[card, self.rng.integers(0, 4)])
        if self.rng.random() < 0.15:
            merchant = int(self.rng.integers(0, self.config.merchants))
        scale = 1.5 if self.drifted else 1.0
        amount = self.rng.lognormal(np.log(self.cards.level[card] * scale), 0.5)
        ecom = 0.45 if self.drifted else 0.25
        channel = "ECOM" if self.rng.random() < ecom else "POS"
        return self._event(card, merchant, amount, channel)

    def _card_testing(self, card: int) -> tuple[dict[str, Any], bool]:
        size = int(self.rng.integers(4, 12))
        merchants = self.rng.integers(0, self.config.merchants, size)
        burst = [
            (self._event(card, int(m), self.rng.uniform(0.5, 3.0), "ECOM"), True) for m in merchants
        ]
        first, *rest = burst
        self._burst.extend(rest)
        return first

    def _takeover(self, card: int) -> dict[str, Any]:
        merchant = int(self.rng.integers(0, self.config.merchants))
        amount = self.cards.level[card] * self.rng.uniform(8, 25)
        abroad = COUNTRIES[int(self.rng.integers(6, len(COUNTRIES)))]
        channel = "ATM" if self.rng.random() < 0.3 else "ECOM"
        return self._event(card, merchant, amount, channel, country=abroad)

    def _mail_order(self, card: int) -> dict[str, Any]:
        merchant = int(self.cards.favourites[card, 0])
        amount = self.cards.level[card] * self.rng.uniform(1.6, 2.6)
        return self._event(card, merchant, amount, "MOTO")

    def _label(self, event: dict[str, Any], fraud: bool) -> dict[str, Any]:
        low, high = self.config.label_delay_hours
        delay_ms = int(self.rng.uniform(low, high) * 3_600_000)
        return {
            "event_id": event["event_id"],
            "card_id": event["card_id"],
            "is_fraud": bool(fraud),
            "label_time": event["event_time"] + delay_ms,
        }
