"""One valid sample record per contract."""

from __future__ import annotations

from typing import Any

T0 = 1_760_000_000_000

SAMPLES: dict[str, dict[str, Any]] = {
    "transaction": {
        "event_id": "e-1",
        "card_id": "c-1",
        "merchant_id": "m-1",
        "amount": 42.5,
        "currency": "EUR",
        "merchant_category": "5411",
        "country": "DE",
        "channel": "ECOM",
        "event_time": T0,
        "home_country": "FR",
        "device_id": "d-9",
    },
    "label": {"event_id": "e-1", "card_id": "c-1", "is_fraud": True, "label_time": T0 + 1},
    "prediction": {
        "event_id": "e-1",
        "entity": "c-1",
        "score": 0.73,
        "decision": True,
        "threshold": 0.5,
        "model_name": "fraud",
        "model_version": "3",
        "variant": "CANARY",
        "features_missing": False,
        "feature_freshness_ms": 120,
        "latency_ms": 4.2,
        "event_time": T0,
        "scored_at": T0 + 5,
        "features": [1.0, 2.5],
    },
    "model_event": {
        "event_id": "me-1",
        "model_name": "fraud",
        "version": "3",
        "alias": "champion",
        "action": "PROMOTED",
        "previous_version": "2",
        "reason": "canary won",
        "actor": "monitor",
        "artifact_sha256": "ab" * 32,
        "run_id": "r1",
        "time": T0,
    },
    "alert": {
        "alert_id": "a-1",
        "type": "FEATURE_DRIFT",
        "feature": "amount",
        "statistic": "psi",
        "value": 0.4,
        "threshold": 0.2,
        "window": 5000,
        "model_name": "fraud",
        "model_version": "3",
        "variant": "CHAMPION",
        "severity": "TICKET",
        "message": "drift",
        "time": T0,
    },
    "retrain_request": {
        "request_id": "rr-1",
        "model_name": "fraud",
        "reason": "drift confirmed",
        "signals": ["psi:amount", "adwin:score"],
        "window_start": T0 - 86_400_000,
        "window_end": T0,
        "requested_at": T0,
    },
}
