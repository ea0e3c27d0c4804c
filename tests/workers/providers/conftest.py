"""Fixtures for the provider tests: a real redis-server on a free loopback port (never 6379)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis


@pytest.fixture
def sync_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _no_threads_left_behind() -> Iterator[None]:
    """Stand-ins run in threads; every test must have stopped all of them when it ends."""
    before = set(threading.enumerate())
    yield
    leftover = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []
