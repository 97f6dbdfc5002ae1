"""A record schema's fields in a compact, comparable form (for the hand-written fast paths)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Layout = tuple[tuple[str, Any], ...]


def layout_of(raw: Mapping[str, Any]) -> Layout:
    """``(name, type)`` per field: enums as ``("enum", symbols)``, arrays as
    ``("array", items)``, unions as tuples of their branches; named types by name.

    Example:
        >>> layout_of({"fields": [{"name": "x", "type": ["null", "long"]}]})
        (('x', ('null', 'long')),)
    """
    fields = []
    for field in raw["fields"]:
        kind = field["type"]
        if isinstance(kind, dict) and kind.get("type") == "enum":
            kind = ("enum", tuple(kind["symbols"]))
        elif isinstance(kind, dict) and kind.get("type") == "array":
            kind = ("array", kind["items"])
        elif isinstance(kind, list):
            kind = tuple(kind)
        fields.append((field["name"], kind))
    return tuple(fields)
