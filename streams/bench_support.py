"""Measuring helpers the benchmarks share: pacing, percentiles, scraping a /metrics endpoint,
and the broker's own produce→consume latency (the baseline every service's latency sits on)."""

from __future__ import annotations

import gc
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from confluent_kafka import OFFSET_END, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from streams.kafka.admin import create_topics
from streams.kafka.clients import make_admin, make_consumer, make_producer
from streams.kafka.topics import DAY_MS, TopicSpec
from streams.producer import RecordProducer
from streams.settings import KafkaSettings


def percentile_ms(samples_s: Iterable[float], q: float) -> float:
    """The q-th percentile of durations in seconds, in milliseconds."""
    values = np.fromiter(samples_s, dtype=np.float64)
    return float(np.percentile(values, q) * 1000) if values.size else float("nan")


def paced(n_per_s: float, seconds: float, send: Callable[[int], None]) -> int:
    """Call ``send(i)`` at a steady rate for ``seconds``; returns how many were sent."""
    start = time.perf_counter()
    sent = 0
    total = int(n_per_s * seconds)
    while sent < total:
        due = start + sent / n_per_s
        delay = due - time.perf_counter()
        if delay > 0.001:
            time.sleep(delay)
        send(sent)
        sent += 1
    return sent


def offer_paced(
    producer: RecordProducer,
    events: Sequence[Mapping[str, Any]],
    rate: float,
    lead_s: float = 0.0,
    time_field: str = "event_time",
) -> int:
    """Offer ``events`` at ``rate`` per second, each stamped with the instant it is due.

    Records are encoded before the clock starts, so during the run the load generator only
    produces (about a fifth of the CPU of encoding as it goes): on a 2-core machine it shares
    the cores with the system being measured. The garbage collector is off while it sends.
    ``time_field`` holds each record's due time, so a generator falling behind shows up in
    end-to-end latency rather than hiding.

    Args:
        producer: Where to send (its topic and codec).
        events: Records; ``time_field`` is overwritten.
        rate: Records per second.
        lead_s: Seconds to wait before the first record is due (e.g. a consumer's group join).
    """
    key_field = producer.key_field

    def encoded(start: float) -> list[tuple[bytes, bytes | None]]:
        return [
            (
                producer.codec.encode({**e, time_field: int((start + i / rate) * 1000)}),
                str(e[key_field]).encode() if key_field else None,
            )
            for i, e in enumerate(events)
        ]

    # The clock starts once every record is encoded. Too short a budget made the generator
    # start behind and send the first few thousand records at once: a burst, not the rate.
    sample = events[:500]
    began = time.perf_counter()
    for e in sample:
        producer.codec.encode({**e, time_field: int(time.time() * 1000)})
    per_record = (time.perf_counter() - began) / max(len(sample), 1)
    start = time.time() + lead_s + 2.0 * per_record * len(events) + 0.2
    payloads = encoded(start)
    if time.time() > start - 0.05:  # still behind: encode again against a later start
        start = time.time() + 3.0 * per_record * len(events) + 0.2
        payloads = encoded(start)
    # The collector's full passes over the encoded records would pause the generator, which
    # then sends what fell due meanwhile at once; its allocations here are few.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for i, (value, key) in enumerate(payloads):
            delay = start + i / rate - time.time()
            if delay > 0.001:
                time.sleep(delay)
            producer.send_raw(value, key)
    finally:
        if collecting:
            gc.enable()
    return len(payloads)


# A scraped /metrics page: each sample's value keyed by (name, sorted labels).
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """All samples of a /metrics page, keyed by (name, sorted labels)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def histogram_quantile(
    samples: Samples,
    name: str,
    labels: dict[str, str],
    q: float,
) -> float:
    """Prometheus-style quantile (linear within a bucket) of a scraped histogram."""
    buckets = []
    for (metric, labelset), value in samples.items():
        d = dict(labelset)
        if metric == f"{name}_bucket" and all(d.get(k) == v for k, v in labels.items()):
            buckets.append((float(d["le"]), value))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            share = (rank - lower_count) / max(count - lower_count, 1e-12)
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return buckets[-1][0]


def broker_latency_ms(kafka: KafkaSettings, rate: float, seconds: float) -> dict[str, float]:
    """The broker's own produce→consume latency at ``rate`` msg/s with no work done."""
    topic = f"bench-broker-{uuid.uuid4().hex[:8]}"
    create_topics(make_admin(kafka), [TopicSpec(topic, 1, DAY_MS, "delete", "bench", None)])
    consumer = make_consumer(kafka, f"bench-{uuid.uuid4().hex[:6]}")
    consumer.assign([TopicPartition(topic, 0, OFFSET_END)])
    producer = make_producer(kafka)  # librdkafka's default linger, as the offered load uses
    consumer.consume(1, 1.0)
    latencies: list[float] = []

    def send(i: int) -> None:
        producer.produce(topic, value=str(time.time()).encode())
        producer.poll(0)
        for msg in consumer.consume(1000, 0):
            if msg.error() is None:
                latencies.append(time.time() - float(msg.value() or b"nan"))

    paced(rate, seconds, send)
    producer.flush(10)
    deadline = time.monotonic() + 5
    while len(latencies) < rate * seconds and time.monotonic() < deadline:
        for msg in consumer.consume(1000, 0.2):
            if msg.error() is None:
                latencies.append(time.time() - float(msg.value() or b"nan"))
    consumer.close()
    return {"p50": percentile_ms(latencies, 50), "p99": percentile_ms(latencies, 99)}
