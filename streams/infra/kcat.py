"""Running kcat against the embedded broker.

Debian's kcat links librdkafka 2.0, whose ApiVersions handshake the embedded broker does not
answer; the librdkafka that confluent-kafka's wheel ships (2.12+) works. So kcat is run with
that library first on its search path. Against Apache Kafka, plain kcat works.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import confluent_kafka

from streams.exceptions import InfrastructureError


def bundled_librdkafka() -> Path | None:
    """The librdkafka shared object inside the confluent-kafka wheel, if there is one."""
    libs = Path(confluent_kafka.__file__).parent.parent / "confluent_kafka.libs"
    found = sorted(libs.glob("librdkafka*.so*"))
    return found[0] if found else None


def kcat_environment(workdir: Path) -> dict[str, str]:
    """Environment variables that make kcat load the wheel's librdkafka."""
    library = bundled_librdkafka()
    if library is None:
        return {}
    workdir.mkdir(parents=True, exist_ok=True)
    link = workdir / "librdkafka.so.1"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(library)
    return {"LD_LIBRARY_PATH": str(workdir)}


def kcat_command(bootstrap: str, args: list[str]) -> list[str]:
    """``kcat -b BOOTSTRAP ARGS``; raises when kcat is not installed."""
    binary = shutil.which("kcat") or shutil.which("kafkacat")
    if binary is None:
        raise InfrastructureError("kcat is not installed (Debian: apt-get install kcat)")
    return [binary, "-b", bootstrap, *args]
