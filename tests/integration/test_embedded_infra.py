"""The embedded broker and Redis start, answer, stop cleanly, and run side by side."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis

from streams.infra.process import pid_alive
from streams.infra.stack import InfraState, resolve_infra, stack_status, start_stack, stop_stack
from streams.kafka.admin import create_topics, delete_topics, list_topics
from streams.kafka.clients import make_admin
from streams.kafka.topics import TopicCatalogue
from streams.settings import InfraSettings, KafkaSettings, RedisSettings

pytestmark = pytest.mark.integration


def test_two_stacks_run_side_by_side_and_stop_cleanly(tmp_path: Path) -> None:
    homes = [InfraSettings(home=tmp_path / "a"), InfraSettings(home=tmp_path / "b")]
    states = [start_stack(h)[0] for h in homes]
    try:
        addresses = {s.kafka_bootstrap_servers for s in states} | {s.redis_url for s in states}
        assert len(addresses) == 4
        for state, name in zip(states, ("only-a", "only-b"), strict=True):
            assert all(s.answering for s in stack_status(state))
            kafka = KafkaSettings(bootstrap_servers=state.kafka_bootstrap_servers)
            create_topics(make_admin(kafka), TopicCatalogue(prefix=f"{name}.").specs()[:1])
            redis.Redis.from_url(state.redis_url).set("who", name)
        for state, name in zip(states, ("only-a", "only-b"), strict=True):
            kafka = KafkaSettings(bootstrap_servers=state.kafka_bootstrap_servers)
            assert [t for t in list_topics(make_admin(kafka))] == [f"{name}.events"]
            assert redis.Redis.from_url(state.redis_url).get("who") == name.encode()
        # A second `up` finds the running stack instead of starting another.
        again, started = start_stack(homes[0])
        assert not started and again == states[0]
    finally:
        for home in homes:
            stop_stack(home)
    for state in states:
        assert not pid_alive(state.broker_pid) and not pid_alive(state.redis_pid)
        assert not any(s.answering for s in stack_status(state))
    assert InfraState.read(homes[0].home) is None


def test_resolve_prefers_the_environment_and_falls_back_to_embedded(tmp_path: Path) -> None:
    home = InfraSettings(home=tmp_path)
    given = KafkaSettings(bootstrap_servers="kafka:9092"), RedisSettings(url="redis://r:6379/0")
    assert resolve_infra(*given, home, start=False) == given
    with pytest.raises(Exception, match="eventml infra up"):
        resolve_infra(
            KafkaSettings(bootstrap_servers=None), RedisSettings(url=None), home, start=False
        )
    kafka, redis_settings = resolve_infra(
        KafkaSettings(bootstrap_servers=None), RedisSettings(url=None), home
    )
    try:
        state = InfraState.read(tmp_path)
        assert state is not None
        assert kafka.bootstrap_servers == state.kafka_bootstrap_servers
        assert redis_settings.url == state.redis_url
    finally:
        stop_stack(home)


def test_deleted_topics_are_gone_and_deleting_again_is_no_error(
    kafka_settings: KafkaSettings,
) -> None:
    admin = make_admin(kafka_settings)
    catalogue = TopicCatalogue(prefix=f"del-{uuid.uuid4().hex[:6]}.", partitions=2)
    names = [spec.name for spec in catalogue.specs()]
    create_topics(admin, catalogue.specs())
    assert set(names) <= set(list_topics(admin))
    delete_topics(admin, names)
    assert not set(names) & set(list_topics(admin))
    delete_topics(admin, names)
