"""Broker and Redis that a fault scenario may kill and bring back on the same address."""

from __future__ import annotations

import time
from pathlib import Path

from streams.infra.broker import EmbeddedBroker
from streams.infra.redis_server import EmbeddedRedis
from streams.proof.local_s3 import LocalS3
from streams.settings import KafkaSettings, RedisSettings


class RestartableInfra:
    """An embedded broker and an embedded Redis private to one proof run (the shared stack
    is never killed).

    Args:
        workdir: Logs and Redis' working directory.
        persistent: Store the broker's data in a local S3 server so it survives a restart.
            (Much slower: every fetch lists and reads objects over HTTP; keep rates low.)
    """

    def __init__(self, workdir: Path, persistent: bool = False) -> None:
        self.workdir = workdir
        self.s3 = LocalS3(workdir / "logs").start() if persistent else None
        self.broker = self._broker(None).start()
        self.redis = EmbeddedRedis(workdir / "redis").start()

    def _broker(self, port: int | None) -> EmbeddedBroker:
        if self.s3 is None:
            return EmbeddedBroker(self.workdir / "logs", port)
        return EmbeddedBroker(
            self.workdir / "logs", port, self.s3.storage_engine, self.s3.broker_env()
        )

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=self.broker.bootstrap)

    @property
    def redis_settings(self) -> RedisSettings:
        return RedisSettings(url=self.redis.url)

    def restart_broker(self, down_s: float = 1.0) -> None:
        """kill -9 the broker, wait, start it again on the same port from the bucket."""
        if self.s3 is None:
            raise ValueError("a broker restart needs persistent=True (memory storage is lost)")
        port = self.broker.port
        self.broker.process.kill()
        time.sleep(down_s)
        self.broker = self._broker(port).start()

    def restart_redis(self, down_s: float = 1.0) -> None:
        """kill -9 Redis (no persistence: its data is gone), wait, start an empty one."""
        port = self.redis.port
        self.redis.process.kill()
        time.sleep(down_s)
        self.redis = EmbeddedRedis(self.workdir / "redis", port).start()

    def stop(self) -> None:
        self.broker.stop()
        self.redis.stop()
        if self.s3 is not None:
            self.s3.stop()
