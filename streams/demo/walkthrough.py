"""The foundation walk-through: produce a synthetic stream with some bad records, consume it
with the shared consume loop, and account for every record (handled or dead-lettered)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from streams.demo.generator import SyntheticWorld, WorldConfig
from streams.kafka.clients import make_consumer, make_producer
from streams.kafka.consume_loop import ConsumeLoop, Decoded
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.reader import TopicReader
from streams.settings import KafkaSettings

BAD_RECORDS = (
    b"\x00\x01 not avro",
    b"\xc3\x01" + bytes(8) + b"\x02",
    b'{"event_id": "json-without-the-rest"}',
    b'{"event_id": "e", "card_id": "c", "merchant_id": "m", "amount": NaN, "currency": "EUR",'
    b' "merchant_category": "5411", "country": "DE", "channel": "POS",'
    b' "event_time": 1767225600000}',
)


@dataclass
class WalkthroughResult:
    """What was sent and where each record ended up."""

    produced_good: int
    produced_bad: int
    handled: int
    dead_lettered: int
    dead_letters_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.produced_good + self.produced_bad - self.handled - self.dead_lettered


def run_walkthrough(
    kafka: KafkaSettings, topics: TopicCatalogue, events: int, seed: int, console: Console
) -> WalkthroughResult:
    """Produce ``events`` good records plus one bad record per 500, consume, and reconcile."""
    started = time.monotonic()
    producer = RecordProducer(kafka, topics.events, "transaction", "card_id")
    world = SyntheticWorld(WorldConfig(seed=seed))
    bad = 0
    handled: set[str] = set()

    def handler(records: Decoded) -> list[DeadLetter]:
        handled.update(r["event_id"] for _, r in records)
        return []

    consumer = make_consumer(kafka, f"walkthrough-{uuid.uuid4().hex[:6]}")
    consumer.subscribe([topics.events])
    loop = ConsumeLoop(consumer, make_producer(kafka), producer.codec, handler, "walkthrough")
    stop = threading.Event()
    worker = threading.Thread(target=loop.run, args=(stop.is_set,), daemon=True)
    worker.start()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        sent_task = progress.add_task("produced", total=events)
        done_task = progress.add_task("consumed", total=events)
        for i, (event, _label) in enumerate(world.events(events)):
            producer.send(event)
            if i % 500 == 0:
                producer.send_raw(BAD_RECORDS[bad % len(BAD_RECORDS)], b"bad")
                bad += 1
            progress.update(sent_task, completed=i + 1)
            progress.update(done_task, completed=len(handled))
        producer.flush()
        deadline = time.monotonic() + 60
        while loop.stats.polled < events + bad and time.monotonic() < deadline:
            progress.update(done_task, completed=len(handled))
            time.sleep(0.1)
        progress.update(done_task, completed=len(handled))
    stop.set()
    worker.join(10)
    consumer.close()
    reasons: dict[str, int] = {}
    dlq = TopicCatalogue.dead_letter_of(topics.events)
    for record in TopicReader(kafka, dlq, None, idle_timeout_s=3):
        letter = DeadLetter.from_wire(record.key, record.raw, record.headers)
        reasons[letter.reason] = reasons.get(letter.reason, 0) + 1
    return WalkthroughResult(
        events, bad, len(handled), sum(reasons.values()), reasons, time.monotonic() - started
    )
