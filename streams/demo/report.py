"""The demo's report folder: ``summary.json``, PNG plots and an HTML page that shows them."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np

from monitors.baseline import Baseline
from monitors.drift_statistics import ReferenceColumn
from monitors.quality_metrics import roc_auc
from monitors.settings import MonitorSettings
from streams.demo.summary import Observed, served

WINDOW = 2000


def _markers(ax: Any, summary: Mapping[str, Any]) -> None:
    for key, colour, label in (
        ("drift_onset_event", "red", "drift onset"),
        ("drift_detected_event", "orange", "drift detected"),
        ("promoted_at_event", "green", "promotion"),
    ):
        if summary.get(key) is not None:
            ax.axvline(summary[key], color=colour, linestyle="--", label=label)


def _by_index(observed: Observed) -> list[tuple[int, dict[str, Any]]]:
    return sorted(
        (observed.produced[eid][0], p)
        for eid, p in served(observed).items()
        if eid in observed.produced
    )


def plot_scores(observed: Observed, summary: Mapping[str, Any], path: Path) -> None:
    rows = _by_index(observed)
    fig, ax = plt.subplots(figsize=(9, 4))
    if rows:
        idx = np.array([i for i, _ in rows])
        scores = np.array([float(p["score"]) for _, p in rows])
        edges = np.arange(0, idx.max() + WINDOW, WINDOW)
        centers, p50, p90, p99 = [], [], [], []
        for lo in edges[:-1]:
            chunk = scores[(idx >= lo) & (idx < lo + WINDOW)]
            if chunk.size:
                centers.append(lo + WINDOW / 2)
                p50.append(np.percentile(chunk, 50))
                p90.append(np.percentile(chunk, 90))
                p99.append(np.percentile(chunk, 99))
        for values, name in ((p50, "p50"), (p90, "p90"), (p99, "p99")):
            ax.plot(centers, values, label=f"score {name}")
    _markers(ax, summary)
    ax.set(xlabel="event", ylabel="score", title="Score distribution over time", yscale="log")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_auc(observed: Observed, summary: Mapping[str, Any], path: Path) -> None:
    rows = [(i, p) for i, p in _by_index(observed) if p["event_id"] in observed.labels]
    fig, ax = plt.subplots(figsize=(9, 4))
    versions = sorted({p["model_version"] for _, p in rows}, key=int)
    for version in versions:
        mine = [
            (i, observed.labels[p["event_id"]], float(p["score"]))
            for i, p in rows
            if p["model_version"] == version
        ]
        xs, ys = [], []
        for start in range(0, len(mine), WINDOW // 2):
            chunk = mine[start : start + WINDOW]
            auc = roc_auc(np.array([c[1] for c in chunk]), np.array([c[2] for c in chunk]))
            if auc is not None and len(chunk) >= WINDOW // 4:
                xs.append(chunk[len(chunk) // 2][0])
                ys.append(auc)
        ax.plot(xs, ys, marker="o", markersize=3, label=f"model v{version}")
    _markers(ax, summary)
    ax.set(xlabel="event", ylabel="ROC AUC (rolling)", title="Rolling AUC per model version")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(observed: Observed, path: Path) -> None:
    latencies = [p["_e2e_ms"] for p in served(observed).values() if "_e2e_ms" in p]
    fig, ax = plt.subplots(figsize=(6, 4))
    if latencies:
        ax.hist(latencies, bins=60, color="steelblue")
        for q, colour in ((50, "black"), (99, "red")):
            ax.axvline(
                np.percentile(latencies, q),
                color=colour,
                linestyle="--",
                label=f"p{q} {np.percentile(latencies, q):.0f} ms",
            )
    ax.set(
        xlabel="produce → prediction acknowledged (ms)", ylabel="events", title="End-to-end latency"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_drift(
    observed: Observed,
    baseline: Baseline | None,
    summary: Mapping[str, Any],
    path: Path,
    shown: int = 8,
) -> None:
    """PSI of each window of the first model's inputs against its training baseline (the
    statistic the monitor uses), for the features that moved most; cyclical inputs the monitor
    does not watch are left out too."""
    excluded = set(MonitorSettings().drift_exclude)
    rows = [
        (i, p) for i, p in _by_index(observed) if p.get("features") and p["model_version"] == "1"
    ]
    fig, ax = plt.subplots(figsize=(9, 4))
    if baseline is not None and len(rows) > WINDOW:
        matrix = np.array([p["features"] for _, p in rows], dtype=np.float64)
        idx = np.array([i for i, _ in rows])
        curves: dict[str, list[tuple[float, float]]] = {}
        for j, column in enumerate(baseline.features):
            if column.name in excluded:
                continue
            reference = ReferenceColumn(column)
            points = []
            for lo in range(0, int(idx.max()) + 1, WINDOW):
                window = matrix[(idx >= lo) & (idx < lo + WINDOW), j]
                if window.size >= 100:
                    points.append((lo + WINDOW / 2, reference.psi(window)))
            curves[column.name] = points
        top = sorted(curves, key=lambda n: -max((v for _, v in curves[n]), default=0.0))
        for name in top[:shown]:
            ax.plot([x for x, _ in curves[name]], [v for _, v in curves[name]], label=name)
    ax.axhline(0.2, color="grey", linestyle=":", label="PSI 0.2")
    _markers(ax, summary)
    ax.set(
        xlabel="event",
        ylabel="PSI vs training baseline",
        title="Per-feature drift of model v1's inputs (PSI)",
    )
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(
    out: Path, observed: Observed, summary: Mapping[str, Any], baseline: Baseline | None
) -> list[Path]:
    """Write summary.json, the plots and index.html; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    plots: dict[str, Callable[[Path], None]] = {
        "scores.png": lambda p: plot_scores(observed, summary, p),
        "auc.png": lambda p: plot_auc(observed, summary, p),
        "latency.png": lambda p: plot_latency(observed, p),
        "drift.png": lambda p: plot_drift(observed, baseline, summary, p),
    }
    for name, draw in plots.items():
        draw(out / name)
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    images = "".join(f'<h2>{html.escape(n)}</h2><img src="{n}" alt="{n}">' for n in plots)
    events = "".join(
        f"<li>{html.escape(e['action'])} {html.escape(str(e.get('alias')))} "
        f"v{html.escape(e['version'])}: {html.escape(e['reason'][:200])}</li>"
        for e in observed.model_events
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>eventml demo report</title>"
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
        "td{padding:2px 12px;border-bottom:1px solid #ddd}</style>"
        f"<h1>eventml demo report</h1><table>{rows}</table>"
        f"<h2>model events</h2><ul>{events}</ul>{images}\n"
    )
    return [out / "summary.json", out / "index.html", *(out / n for n in plots)]
