"""``eventml produce`` and ``eventml tail``: the producer's and the downstream consumer's view."""

from __future__ import annotations

import base64
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress

from schemas import DecodeError, default_catalog
from streams.cli.context import console, err_console, fail, get_context
from streams.cli.input_records import csv_records, jsonl_records
from streams.exceptions import EventmlError
from streams.producer import RecordProducer, codec_for
from streams.reader import ReadRecord, TopicReader


class InputFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


KEY_FIELDS = {"transaction": "card_id", "label": "event_id"}


def produce(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="JSON-lines or CSV file; '-' reads standard input."),
    record: str = typer.Option("transaction", help="Contract: transaction (events) or label."),
    topic: str | None = typer.Option(None, help="Target topic (default: events or labels)."),
    fmt: InputFormat = typer.Option(InputFormat.auto, "--format", help="Input format."),
) -> None:
    """Validate records and publish them Avro-encoded; invalid lines are reported, not sent."""
    context = get_context(ctx)
    if record not in KEY_FIELDS:
        raise fail(f"record must be one of {sorted(KEY_FIELDS)}")
    target = topic or (context.topics.events if record == "transaction" else context.topics.labels)
    text = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    is_csv = fmt is InputFormat.csv or (fmt is InputFormat.auto and path.suffix == ".csv")
    schema = default_catalog().latest(record)
    rows = csv_records(text, schema) if is_csv else jsonl_records(text)
    try:
        producer = RecordProducer(context.kafka, target, record, KEY_FIELDS[record])
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    invalid = 0
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(f"producing to {target}", total=None)
        for number, item in rows:
            try:
                if isinstance(item, Exception):
                    raise DecodeError(str(item))
                producer.send(item)
            except DecodeError as exc:
                invalid += 1
                err_console.print(f"line {number}: [red]{exc.reason}[/] {exc}")
            progress.advance(task)
        producer.flush()
    console.print(f"sent {producer.sent} records to {target}; {invalid} invalid lines skipped")
    if invalid:
        raise typer.Exit(1)


def tail(
    ctx: typer.Context,
    topic: str = typer.Argument(..., help="Topic to read, e.g. predictions or events-dlq."),
    from_beginning: bool = typer.Option(True, "--from-beginning/--from-end"),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep waiting for new records."),
    limit: int = typer.Option(0, help="Stop after this many records (0: no limit)."),
) -> None:
    """Print decoded records of any topic as JSON lines (dead letters with their headers)."""
    context = get_context(ctx)
    record = context.topics.record_of(topic)
    try:
        codec = codec_for(context.kafka, topic, record) if record else None
        reader = TopicReader(
            context.kafka, topic, codec, from_beginning=from_beginning, follow=follow
        )
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    for count, item in enumerate(reader, start=1):
        print(json.dumps(_as_json(item)), flush=True)
        if limit and count >= limit:
            break


def _as_json(item: ReadRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"partition": item.partition, "offset": item.offset}
    if item.key is not None:
        out["key"] = item.key.decode("utf-8", "replace")
    if item.value is not None:
        out["value"] = item.value
    else:
        out["value_base64"] = base64.b64encode(item.raw or b"").decode()
    if item.error:
        out["error"] = item.error
    if item.headers:
        out["headers"] = {k: v.decode("utf-8", "replace") for k, v in item.headers}
    return out
