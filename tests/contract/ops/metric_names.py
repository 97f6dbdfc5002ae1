"""Metric names the code exports and the PromQL in infra/ uses, to keep the two aligned."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("streams", "inference", "monitors", "training")

_DEFINITION = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary|Info)\(\s*[\"']([A-Za-z_:][\w:]*)[\"']"
)
_EVENTML_NAME = re.compile(r"\beventml[_:][\w:]*")
_SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_count", "_sum", "_created"),
    "Summary": ("", "_count", "_sum", "_created"),
    "Info": ("_info",),
}

# Series the rules and dashboards use before the code exports them. Empty today: add a name
# here (and to infra/README.md, "Metrics the services export") only with the code change that
# will export it.
PENDING: frozenset[str] = frozenset()


def exported_series() -> set[str]:
    """Every series name the prometheus_client definitions in the packages produce."""
    names: set[str] = set()
    for package in PACKAGES:
        for source in (REPO / package).rglob("*.py"):
            for kind, name in _DEFINITION.findall(source.read_text(encoding="utf-8")):
                base = name.removesuffix("_total") if kind == "Counter" else name
                names.update(base + suffix for suffix in _SUFFIXES[kind])
    return names


def names_in(expr: str) -> set[str]:
    """eventml metric and recording-rule names in a PromQL expression."""
    return set(_EVENTML_NAME.findall(expr))


def rules(path: Path) -> list[dict[str, object]]:
    """Every rule of a Prometheus rule file, groups flattened."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def recorded_names(path: Path) -> set[str]:
    """Names the recording rules of a rule file define."""
    return {str(rule["record"]) for rule in rules(path) if "record" in rule}


def raw_names(path: Path) -> set[str]:
    """Scraped (not recorded) eventml series the rules read."""
    used = set().union(*(names_in(str(rule["expr"])) for rule in rules(path)))
    return {name for name in used if ":" not in name}
