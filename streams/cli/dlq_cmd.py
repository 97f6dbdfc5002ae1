"""``eventml dlq inspect|replay``: look at dead letters and send fixed ones back."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError
from streams.kafka.dead_letter import DeadLetter
from streams.kafka.replay import load_fixes, plan_replay
from streams.kafka.topics import TopicCatalogue
from streams.producer import RecordProducer
from streams.reader import TopicReader

app = typer.Typer(help="Inspect and replay dead-lettered records.", no_args_is_help=True)


def _read_letters(ctx: typer.Context, source: str) -> list[tuple[int, DeadLetter]]:
    context = get_context(ctx)
    topic = TopicCatalogue.dead_letter_of(context.topics.name(source))
    try:
        reader = TopicReader(context.kafka, topic, None, idle_timeout_s=3.0)
        return [(r.offset, DeadLetter.from_wire(r.key, r.raw, r.headers)) for r in reader]
    except EventmlError as exc:
        raise fail(str(exc)) from exc


@app.command()
def inspect(
    ctx: typer.Context,
    source: str = typer.Argument("events", help="Source topic base name: events, labels..."),
    limit: int = typer.Option(50, help="Rows to show."),
) -> None:
    """Show dead letters of a topic with their reasons, and a count per reason."""
    letters = _read_letters(ctx, source)
    table = Table("dlq offset", "source", "reason", "stage", "error", "bytes")
    for offset, letter in letters[:limit]:
        table.add_row(
            str(offset),
            f"{letter.source_topic}[{letter.partition}]@{letter.offset}",
            letter.reason,
            letter.stage,
            letter.error_message[:80],
            str(len(letter.value or b"")),
        )
    console.print(table)
    counts: dict[str, int] = {}
    for _, letter in letters:
        counts[letter.reason] = counts.get(letter.reason, 0) + 1
    console.print(
        f"{len(letters)} dead letters: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )


@app.command()
def replay(
    ctx: typer.Context,
    source: str = typer.Argument("events", help="Source topic base name: events, labels..."),
    fixes: Path | None = typer.Option(None, help="JSON lines {dlq_offset, value|value_base64}."),
    only_fixed: bool = typer.Option(False, help="Send back only records that have a fix."),
    reason: str | None = typer.Option(None, help="Only dead letters with this reason."),
    dry_run: bool = typer.Option(False, help="Show what would be sent."),
) -> None:
    """Send dead letters back to their source topic, fixed where a fix is given."""
    letters = _read_letters(ctx, source)
    fix_map = load_fixes(fixes.read_text().splitlines()) if fixes else {}
    plan = plan_replay(letters, fix_map, only_fixed, reason)
    if dry_run:
        for item in plan:
            console.print(f"dlq offset {item.dead_letter_offset} -> {item.topic}")
        console.print(f"{len(plan)} records would be replayed")
        return
    context = get_context(ctx)
    producers: dict[str, RecordProducer] = {}
    for item in plan:
        if item.topic not in producers:
            record = context.topics.record_of(item.topic) or "transaction"
            producers[item.topic] = RecordProducer(context.kafka, item.topic, record)
        producers[item.topic].send_raw(item.value or b"", item.key, item.headers)
    for producer in producers.values():
        producer.flush()
    console.print(f"replayed {len(plan)} records")
