"""Event builders for the feature-store tests."""

from __future__ import annotations

import random
from typing import Any

# Midnight UTC, so 5 s, 1 min, 1 h and 1 day buckets all start here.
T0 = 1_700_006_400_000


def transaction(i: int, t: int, **fields: Any) -> dict[str, Any]:
    """A transaction.v2 record with plain defaults."""
    record: dict[str, Any] = {
        "event_id": f"e{i}",
        "card_id": "c1",
        "merchant_id": "m1",
        "amount": 10.0,
        "currency": "EUR",
        "merchant_category": "5411",
        "country": "FR",
        "channel": "POS",
        "event_time": t,
        "home_country": "FR",
        "device_id": None,
    }
    record.update(fields)
    return record


def seeded_stream(
    n: int, seed: int, *, cards: int = 300, gap_ms: int = 4000
) -> list[dict[str, Any]]:
    """A time-ordered stream (strictly increasing times) over a few cards and merchants."""
    rng = random.Random(seed)
    t = T0
    out = []
    for i in range(n):
        t += rng.randint(1, gap_ms)
        out.append(
            transaction(
                i,
                t,
                card_id=f"c{rng.randrange(cards)}",
                merchant_id=f"m{rng.randrange(150)}",
                amount=round(rng.lognormvariate(3.0, 1.0), 2),
                country=rng.choice(["FR", "DE", "US", "GB", "ES"]),
                device_id=rng.choice([None, "d1", "d2", "d3"]),
            )
        )
    return out


def signed_amounts(n: int, seed: int) -> list[float]:
    """Signed values with full mantissas over magnitudes 1e-3 .. 1e7 (lognormal spread)."""
    rng = random.Random(seed)
    return [
        rng.choice((-1.0, 1.0, 1.0)) * rng.lognormvariate(0.0, 1.0) * 10.0 ** rng.uniform(-3, 7)
        for _ in range(n)
    ]
