"""The root of every error eventml raises on purpose."""

from __future__ import annotations


class EventmlError(Exception):
    """Base class of all eventml errors; each package subclasses it in its own module."""


class ConfigurationError(EventmlError):
    """Settings that cannot work together, found before any I/O starts."""


class InfrastructureError(EventmlError):
    """A broker, Redis server, registry or model store that cannot be reached or used."""
