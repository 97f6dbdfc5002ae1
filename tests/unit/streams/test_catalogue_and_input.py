"""Topic catalogue names and CSV/JSON input conversion."""

from __future__ import annotations

from schemas import default_catalog
from streams.cli.input_records import csv_records, jsonl_records
from streams.kafka.topics import TopicCatalogue


def test_every_consumed_topic_has_a_dead_letter_topic() -> None:
    specs = {s.name: s for s in TopicCatalogue(prefix="dev.", partitions=6).specs()}
    for base in ("events", "labels", "predictions", "model-events", "retrain-requests"):
        assert f"dev.{base}-dlq" in specs
    assert specs["dev.events"].partitions == 6
    assert specs["dev.model-events"].partitions == 1
    assert all(s.config()["retention.ms"].isdigit() for s in specs.values())
    assert TopicCatalogue("dev.").record_of("dev.predictions-shadow") == "prediction"


def test_csv_rows_are_typed_by_the_schema() -> None:
    lines = [
        "event_id,card_id,merchant_id,amount,currency,merchant_category,country,channel,"
        "event_time,home_country",
        "e1,c1,m1,12.5,EUR,5411,DE,POS,1760000000000,",
        "e2,c1,m1,abc,EUR,5411,DE,POS,1760000000000,FR",
    ]
    rows = list(csv_records(lines, default_catalog().latest("transaction")))
    assert rows[0] == (
        2,
        {
            "event_id": "e1",
            "card_id": "c1",
            "merchant_id": "m1",
            "amount": 12.5,
            "currency": "EUR",
            "merchant_category": "5411",
            "country": "DE",
            "channel": "POS",
            "event_time": 1760000000000,
            "home_country": None,
        },
    )
    assert rows[1][0] == 3 and isinstance(rows[1][1], ValueError)


def test_jsonl_reports_bad_lines_by_number() -> None:
    rows = list(jsonl_records(['{"a": 1}', "", "{oops"]))
    assert rows[0] == (1, {"a": 1})
    assert rows[1][0] == 3 and isinstance(rows[1][1], ValueError)
