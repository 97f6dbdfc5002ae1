"""Errors raised by the monitoring stages."""

from __future__ import annotations

from streams.exceptions import EventmlError


class MonitorError(EventmlError):
    """Base class of every error the monitors package raises."""


class MonitorConfigError(MonitorError):
    """A monitor configured with values that cannot work (unknown detector, bad threshold)."""


class BaselineError(MonitorError):
    """A training baseline that is malformed or does not match the records it is used on."""


class InvalidRecordError(MonitorError):
    """A prediction or label record a monitor cannot use; the runner dead-letters it."""
