"""The identity every monitor keys its state by: model name, version and variant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitors.exceptions import InvalidRecordError

VARIANTS = ("CHAMPION", "CANARY", "SHADOW")


@dataclass(frozen=True, order=True)
class ModelKey:
    """One deployed model as seen on the predictions topic.

    Attributes:
        model_name: Registered model name.
        model_version: Registry version of the model.
        variant: ``CHAMPION``, ``CANARY`` or ``SHADOW``.
    """

    model_name: str
    model_version: str
    variant: str = "CHAMPION"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise InvalidRecordError(f"unknown variant {self.variant!r}")

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> ModelKey:
        """Reads the key from a prediction.v1 record.

        Raises:
            InvalidRecordError: If a key field is missing or the variant is unknown.
        """
        try:
            return cls(
                str(record["model_name"]),
                str(record["model_version"]),
                str(record.get("variant", "CHAMPION")),
            )
        except KeyError as error:
            raise InvalidRecordError(f"prediction without {error.args[0]!r}") from error
