"""A local S3 server (moto) so the embedded broker can persist across restarts.

tansu's ``memory://`` engine loses everything when the broker stops; its ``s3://`` engine
keeps topics, offsets and groups in a bucket. moto's server speaks enough S3 for it.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

from streams.infra.process import ServerProcess, free_port

BUCKET = "eventml-broker"
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "eventml-local",
    "AWS_SECRET_ACCESS_KEY": "eventml-local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


class LocalS3:
    """``moto.server`` on a free loopback port with one bucket for the broker.

    Args:
        log_dir: Where ``s3.log`` is written.
    """

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = ServerProcess(
            "s3", argv, log_dir / "s3.log", lambda: _answers(self.endpoint)
        )

    def start(self) -> LocalS3:
        """Start the server and create the bucket (moto takes an unsigned PUT)."""
        self.process.start()
        request = urllib.request.Request(f"{self.endpoint}/{BUCKET}", method="PUT")
        with urllib.request.urlopen(request, timeout=5):
            pass
        return self

    def broker_env(self) -> dict[str, str]:
        """What tansu's object-store client reads to reach this server."""
        return {**_CREDENTIALS, "AWS_ENDPOINT": self.endpoint, "AWS_ALLOW_HTTP": "true"}

    @property
    def storage_engine(self) -> str:
        return f"s3://{BUCKET}/"

    def stop(self) -> None:
        self.process.stop()
