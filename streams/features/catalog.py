"""The shipped feature views for card transactions, and the registry to look them up.

Bucket sizes trade precision for row size (every bucket is stored online): a 1 min window
moves in 5 s steps (12 buckets), 1 h in 5 min steps (12 buckets) and 24 h in 30 min steps
(48 buckets). A sliding window evaluated at ``t`` therefore covers between ``size - bucket``
and ``size`` of history; see :class:`~streams.features.definitions.Window`.
"""

from __future__ import annotations

from datetime import timedelta

from streams.features.definitions import Aggregation, FeatureView, Window
from streams.features.exceptions import UnknownViewError

TRANSACTIONS_TOPIC = "events"  # base name in the topic catalogue
NO_PREVIOUS_EVENT = -1.0

MIN_1 = Window.sliding(timedelta(minutes=1), timedelta(seconds=5))
HOUR_1 = Window.sliding(timedelta(hours=1), timedelta(minutes=5))
HOUR_24 = Window.sliding(timedelta(hours=24), timedelta(minutes=30))
DAY = Window.tumbling(timedelta(days=1))

CARD = FeatureView(
    name="card",
    entity="card",
    key_field="card_id",
    source_topic=TRANSACTIONS_TOPIC,
    source_record="transaction",
    event_time_field="event_time",
    aggregations=(
        Aggregation("txn_count_1m", "count", window=MIN_1),
        Aggregation("txn_count_1h", "count", window=HOUR_1),
        Aggregation("txn_count_24h", "count", window=HOUR_24),
        Aggregation("txn_count_today", "count", window=DAY),
        Aggregation("amount_sum_1h", "sum", "amount", HOUR_1),
        Aggregation("amount_mean_1h", "mean", "amount", HOUR_1),
        Aggregation("amount_max_1h", "max", "amount", HOUR_1),
        Aggregation("amount_sum_24h", "sum", "amount", HOUR_24),
        Aggregation("amount_mean_24h", "mean", "amount", HOUR_24),
        Aggregation("amount_max_24h", "max", "amount", HOUR_24),
        Aggregation("amount_min_24h", "min", "amount", HOUR_24),
        Aggregation("amount_std_24h", "std", "amount", HOUR_24),
        Aggregation("distinct_merchants_24h", "distinct_count", "merchant_id", HOUR_24),
        Aggregation("distinct_countries_24h", "distinct_count", "country", HOUR_24, capacity=16),
        Aggregation("distinct_devices_24h", "distinct_count", "device_id", HOUR_24, capacity=8),
        Aggregation("last_amount", "last", "amount"),
        Aggregation("seconds_since_last_txn", "seconds_since_last", default=NO_PREVIOUS_EVENT),
    ),
    ttl_seconds=7 * 24 * 3600,
    description="Velocity and spend profile of a card, for card-fraud scoring.",
    owner="fraud-ml",
    tags=("fraud", "card"),
)

MERCHANT = FeatureView(
    name="merchant",
    entity="merchant",
    key_field="merchant_id",
    source_topic=TRANSACTIONS_TOPIC,
    source_record="transaction",
    event_time_field="event_time",
    aggregations=(
        Aggregation("merchant_txn_count_1h", "count", window=HOUR_1),
        Aggregation("merchant_txn_count_24h", "count", window=HOUR_24),
        Aggregation("merchant_amount_mean_24h", "mean", "amount", HOUR_24),
        Aggregation("merchant_amount_max_24h", "max", "amount", HOUR_24),
        Aggregation("merchant_distinct_cards_1h", "distinct_count", "card_id", HOUR_1, capacity=64),
        Aggregation(
            "merchant_seconds_since_last_txn", "seconds_since_last", default=NO_PREVIOUS_EVENT
        ),
    ),
    ttl_seconds=7 * 24 * 3600,
    description="Traffic and ticket size of a merchant, for card-fraud scoring.",
    owner="fraud-ml",
    tags=("fraud", "merchant"),
)

_VIEWS: dict[str, FeatureView] = {view.name: view for view in (CARD, MERCHANT)}


def get_view(name: str) -> FeatureView:
    """Return the shipped view called ``name``.

    Raises:
        UnknownViewError: No view has that name.
    """
    try:
        return _VIEWS[name]
    except KeyError:
        known = ", ".join(sorted(_VIEWS))
        raise UnknownViewError(f"no feature view {name!r}; known: {known}") from None


def list_views() -> tuple[FeatureView, ...]:
    """All shipped views, sorted by name."""
    return tuple(_VIEWS[name] for name in sorted(_VIEWS))
