"""New Redis connections open with one round trip (HELLO) before the first command, sync and async,
against a real Redis; the commands are recorded client-side, so the server's version does not matter."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import redis
import redis.asyncio

from workers.clients.redis_client import async_redis_client, redis_client


class RecordingConnection(redis.Connection):
    sent: ClassVar[list[str]] = []

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        RecordingConnection.sent.append(" ".join(str(arg) for arg in args[:2]))
        super().send_command(*args, **kwargs)


class AsyncRecordingConnection(redis.asyncio.Connection):
    sent: ClassVar[list[str]] = []

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        AsyncRecordingConnection.sent.append(" ".join(str(arg) for arg in args[:2]))
        await super().send_command(*args, **kwargs)


def test_a_new_connection_says_hello_and_nothing_else_before_the_first_command(redis_url: str) -> None:
    RecordingConnection.sent = []
    client = redis_client(redis_url, connection_class=RecordingConnection)
    client.set("k", "v")
    assert client.get("k") == b"v"
    client.close()
    assert [command for command in RecordingConnection.sent if command.startswith("CLIENT")] == []
    assert RecordingConnection.sent[-2:] == ["SET k", "GET k"]
    assert len(RecordingConnection.sent) <= 3  # at most HELLO before them

    RecordingConnection.sent = []  # redis-py's default, for contrast: the extra round trips we avoid
    default = redis.Redis.from_url(redis_url, connection_class=RecordingConnection)
    default.ping()
    default.close()
    assert any(command.startswith("CLIENT") for command in RecordingConnection.sent)


def test_the_async_client_opens_the_same_way(redis_url: str) -> None:
    async def use() -> bytes | None:
        client = async_redis_client(redis_url, connection_class=AsyncRecordingConnection)
        try:
            await client.set("k", "async")
            return await client.get("k")
        finally:
            await client.aclose()

    AsyncRecordingConnection.sent = []
    assert asyncio.run(use()) == b"async"
    assert [command for command in AsyncRecordingConnection.sent if command.startswith("CLIENT")] == []
    assert AsyncRecordingConnection.sent[-2:] == ["SET k", "GET k"]
