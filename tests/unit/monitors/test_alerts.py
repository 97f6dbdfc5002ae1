from __future__ import annotations

import json
from pathlib import Path

import fastavro

from monitors import Alert, AlertDeduplicator, AlertType, ModelKey, Severity, severity_for

SCHEMA = Path(__file__).parents[3] / "schemas" / "alert.v1.avsc"


def alert(
    t: int, feature: str | None = "amount", kind: AlertType = AlertType.FEATURE_DRIFT
) -> Alert:
    return Alert(kind, "psi", 0.3, 0.2, 500, ModelKey("fraud", "1"), severity_for(kind), t, feature)


def test_alert_record_is_valid_alert_v1() -> None:
    schema = fastavro.parse_schema(json.loads(SCHEMA.read_text()))
    record = alert(123).to_record()

    assert fastavro.validation.validate(record, schema)
    assert record["alert_id"] == alert(123).to_record()["alert_id"]
    assert record["alert_id"] != alert(124).to_record()["alert_id"]


def test_severities() -> None:
    assert severity_for(AlertType.QUALITY_SLO) is Severity.PAGE
    assert severity_for(AlertType.FEATURE_DRIFT) is Severity.TICKET
    assert severity_for(AlertType.FEATURE_DRIFT, drifting_features=3) is Severity.PAGE
    assert severity_for(AlertType.CANARY_DECISION) is Severity.INFO


def test_repeats_within_the_cooloff_are_dropped() -> None:
    dedup = AlertDeduplicator(cooloff_ms=1_000, max_per_minute=100)

    admitted = [dedup.admit(alert(t)) for t in (0, 500, 999, 1_000)]

    assert admitted == [True, False, False, True]
    assert dedup.admit(alert(1_001, feature="velocity"))
    assert dedup.duplicates == 2


def test_rate_limit_keeps_pages_first() -> None:
    dedup = AlertDeduplicator(cooloff_ms=0, max_per_minute=2)
    batch = [alert(10, f"f{i}") for i in range(3)] + [alert(20, None, AlertType.QUALITY_SLO)]

    admitted = dedup.filter(batch)

    assert [(a.type, a.feature) for a in admitted] == [
        (AlertType.QUALITY_SLO, None),
        (AlertType.FEATURE_DRIFT, "f0"),
    ]
    assert dedup.rate_limited == 2
    assert not dedup.admit(alert(60_009, "f1"))  # both admissions still within the minute
    assert dedup.admit(alert(60_010, "f1"))  # the minute slid past the one at 10
