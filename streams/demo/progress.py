"""The live panel of ``eventml demo``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from streams.demo.summary import SERVED

if TYPE_CHECKING:
    from streams.demo.orchestrator import DemoRun
    from streams.demo.services import ServiceGroup


def _aliases(run: DemoRun) -> dict[str, str]:
    holders: dict[str, str] = {}
    for event in run.observed.model_events:
        alias = event.get("alias")
        if alias is None:
            continue
        if event["action"] == "ALIAS_REMOVED":
            holders.pop(alias, None)
        elif event["action"] in {"PROMOTED", "ALIAS_SET", "ROLLED_BACK"}:
            holders[alias] = event["version"]
    return holders


def progress_panel(run: DemoRun, services: ServiceGroup) -> Panel:
    """What is happening now: volumes, lag, models, alerts and the last registry changes."""
    with run.lock:
        observed = run.observed
        produced = len(observed.produced)
        scored = {p["event_id"] for p in observed.predictions if p["variant"] in SERVED}
        shadow = sum(p["variant"] == "SHADOW" for p in observed.predictions)
        alerts = list(observed.alerts)
        changes = list(observed.model_events)
        holders = _aliases(run)
    elapsed = time.monotonic() - run.started
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("phase", run.phase)
    table.add_row("elapsed", f"{elapsed:,.0f} s")
    table.add_row("events produced", f"{produced:,}")
    table.add_row("events scored", f"{len(scored):,} (lag {max(produced - len(scored), 0):,})")
    table.add_row("shadow predictions", f"{shadow:,}")
    table.add_row(
        "champion / challenger",
        f"v{holders.get('champion', '-')} / v{holders.get('challenger', '-')}",
    )
    table.add_row("alerts", f"{len(alerts):,}")
    table.add_row(
        "services",
        ", ".join(
            f"{name} {'[red]down[/]' if name in services.dead() else '[green]up[/]'}"
            for name in services.processes
        ),
    )
    recent = Table("recent", "", show_header=False, box=None)
    for alert in alerts[-4:]:
        recent.add_row(
            "[yellow]alert[/]",
            f"{alert['type']} {alert.get('feature') or ''} "
            f"{alert['statistic']}={alert['value']:.3g} v{alert['model_version']}",
        )
    for change in changes[-4:]:
        recent.add_row(
            "[cyan]model[/]",
            f"{change['action']} {change.get('alias') or ''} "
            f"v{change['version']} ({change['actor']})",
        )
    return Panel(Group(table, recent), title=f"eventml demo {run.prefix.strip('.')}")
