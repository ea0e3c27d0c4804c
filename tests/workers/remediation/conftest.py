"""Fixtures for the remediation tests: a real redis-server and a fresh Kratos stand-in per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer


@pytest.fixture(scope="module")
def _remediation_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(_remediation_redis: RedisServer) -> Iterator[str]:
    """An empty database for each test."""
    client = redis.Redis.from_url(_remediation_redis.url)
    client.flushdb()
    client.close()
    yield _remediation_redis.url


@pytest.fixture
def kratos_api() -> Iterator[KratosStandIn]:
    """A fresh Kratos stand-in; whatever it answered must match Kratos's OpenAPI document."""
    with KratosStandIn() as standin:
        yield standin
        assert standin.violations == [], standin.violations
