"""``eventml experiments report``: per-variant quality with bootstrap confidence intervals."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from streams.cli.context import console, fail, get_context
from streams.exceptions import EventmlError

app = typer.Typer(
    help="A/B, canary and shadow comparisons on labelled traffic.", no_args_is_help=True
)


@app.command()
def report(
    ctx: typer.Context,
    n_boot: int = typer.Option(500, help="Bootstrap resamples."),
    confidence: float = typer.Option(0.95, help="Interval coverage."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Join predictions (served and shadow) with labels and compare every model variant."""
    from monitors.experiment_report import ExperimentReport
    from monitors.label_joiner import LabelJoiner
    from streams.producer import codec_for
    from streams.reader import TopicReader

    context = get_context(ctx)
    kafka, topics = context.kafka, context.topics
    joiner = LabelJoiner(ttl_ms=2**62, max_entries=10_000_000)
    joined = []
    try:
        for topic in (topics.predictions, topics.predictions_shadow):
            for item in TopicReader(kafka, topic, codec_for(kafka, topic, "prediction")):
                if item.value is not None:
                    joined += joiner.add_prediction(item.value)
        for item in TopicReader(kafka, topics.labels, codec_for(kafka, topics.labels, "label")):
            if item.value is not None:
                joined += joiner.add_label(item.value)
    except EventmlError as exc:
        raise fail(str(exc)) from exc
    result = ExperimentReport.compute(joined, n_boot=n_boot, confidence=confidence)
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    table = Table(
        "model",
        "variant",
        "labelled",
        "fraud",
        "ROC AUC",
        "log-loss",
        "precision",
        "recall",
        title=f"{confidence:.0%} bootstrap intervals ({n_boot} resamples)",
    )
    for arm in result.arms:
        q = arm.quality
        table.add_row(
            f"{arm.key.model_name} v{arm.key.model_version}",
            arm.key.variant,
            str(q.n),
            str(q.positives),
            _cell(q.roc_auc, arm.intervals.get("roc_auc")),
            _cell(q.log_loss, arm.intervals.get("log_loss")),
            _cell(q.precision, arm.intervals.get("precision")),
            _cell(q.recall, arm.intervals.get("recall")),
        )
    console.print(table)


def _cell(value: float | None, interval: tuple[float, float] | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" + (f" [{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "")
