"""Settings of ``eventml run inference`` (env prefix ``EVENTML_INFERENCE_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ProviderPreference = Literal["auto", "cpu"]


class InferenceSettings(BaseSettings):
    """How the inference service batches, routes, scores and reports.

    Attributes:
        group_id: Consumer group on the events topic.
        max_batch_size: A batch is scored as soon as it holds this many events. Also the
            replay bound: a crash delivers again the predictions of at most this many events
            of any partition (a partition's next batch is scored meanwhile but sent only
            once the commit before it is confirmed).
        max_wait_ms: ... or once its oldest event has waited this long; when no batch is
            being scored, polled events are taken at once (waiting would only add latency).
        queue_depth: Batches in flight between polling and producing; when full, the
            consumer pauses its partitions (backpressure).
        canary_share: Share of entities routed to the canary (the ``canary_alias`` model).
        champion_alias: Registry alias whose model serves.
        canary_alias: Alias of the canary; unset in the registry means no canary.
        shadow_alias: Alias of the shadow model; scored on every event, never served.
        intra_op_threads: ONNX Runtime intra-op threads per session.
        inter_op_threads: ONNX Runtime inter-op threads per session.
        provider_preference: ``auto`` uses CUDA when ONNX Runtime offers it, ``cpu`` never.
        feature_retry_initial_s: First backoff when the feature source fails.
        feature_retry_max_s: Backoff ceiling; the runner keeps retrying while paused.
        flush_timeout_s: How long to wait for the broker to acknowledge a batch.
        linger_ms: How long the producer waits for more records before sending a request:
            Kafka's latency/throughput trade-off. Draining a backlog, 2 ms fills requests
            (0.5 ms drained ~10 % slower); at light load a batch's records are queued within
            about half a millisecond, so 0.5 ms acknowledges them ~1.7 ms sooner at p50.
        transactional_id: Set: each batch's predictions and offsets are committed in one
            Kafka transaction (exactly once for read_committed consumers on Apache Kafka;
            see :mod:`inference.transactions`). Stable per instance and unique in the group,
            so that a restarted instance aborts what its predecessor left open. Unset:
            at-least-once with idempotent produce (the default).
        metrics_host: Address the Prometheus endpoint binds to.
        metrics_port: Its port; 0 disables it.
    """

    model_config = SettingsConfigDict(env_prefix="EVENTML_INFERENCE_", frozen=True, extra="ignore")

    group_id: str = "eventml-inference"
    max_batch_size: int = Field(default=2048, ge=1)
    max_wait_ms: float = Field(default=20.0, ge=0)
    queue_depth: int = Field(default=4, ge=1)
    canary_share: float = Field(default=0.1, ge=0.0, le=1.0)
    champion_alias: str = "champion"
    canary_alias: str | None = "challenger"
    shadow_alias: str | None = "shadow"
    intra_op_threads: int = Field(default=1, ge=0)
    inter_op_threads: int = Field(default=1, ge=0)
    provider_preference: ProviderPreference = "auto"
    feature_retry_initial_s: float = Field(default=0.1, gt=0)
    feature_retry_max_s: float = Field(default=5.0, gt=0)
    flush_timeout_s: float = Field(default=30.0, gt=0)
    linger_ms: float = Field(default=2.0, ge=0)
    transactional_id: str | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9104, ge=0)
