"""The quick-acknowledgement parser: asks for TCP_QUICKACK before every socket read of a
TCP connection, never on a Unix socket, and parses replies as redis-py's hiredis parser."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from streams.redis_quickack import QuickAckParser

linux_only = pytest.mark.skipif(
    not hasattr(socket, "TCP_QUICKACK"), reason="TCP_QUICKACK is a Linux option"
)


class _Recording:
    """A real socket that records the options set on it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.options: list[tuple[int, int, int]] = []
        self.family = sock.family

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.options.append((level, option, value))
        self._sock.setsockopt(level, option, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Connection:
    """What the parser reads from a redis-py connection."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.socket_timeout = 5.0
        self.encoder = redis.Connection().encoder


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        with client, peer:
            yield client, peer


def _bulk_array(values: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(values) + b"".join(b"$%d\r\n%s\r\n" % (len(v), v) for v in values)


def _serve(peer: socket.socket, reply: bytes) -> threading.Thread:
    thread = threading.Thread(target=peer.sendall, args=(reply,), daemon=True)
    thread.start()
    return thread


@linux_only
def test_asks_for_an_immediate_ack_before_each_read_of_a_large_reply(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    client, peer = tcp_pair
    values = [bytes([i % 251]) * 5000 for i in range(120)]  # 600 KB: many reads of 64 KB
    sock = _Recording(client)
    parser = QuickAckParser(socket_read_size=65536)
    parser.on_connect(_Connection(sock))
    sender = _serve(peer, _bulk_array(values))
    assert parser.read_response() == values
    sender.join(5)
    quickacks = [o for o in sock.options if o == (socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)]
    assert len(quickacks) >= 600_000 // 65536  # one per read, not once per reply
    assert len(quickacks) == len(sock.options)


def test_a_unix_socket_is_read_without_the_option() -> None:
    if sys.platform == "win32":
        pytest.skip("no AF_UNIX socket pairs")
    client, peer = socket.socketpair(socket.AF_UNIX)
    with client, peer:
        sock = _Recording(client)
        parser = QuickAckParser(socket_read_size=65536)
        parser.on_connect(_Connection(sock))
        sender = _serve(peer, _bulk_array([b"a" * 70_000, b"b"]))
        assert parser.read_response() == [b"a" * 70_000, b"b"]
        sender.join(5)
        assert sock.options == []
