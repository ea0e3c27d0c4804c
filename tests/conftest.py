"""Shared fixtures: real local servers on loopback, and the bot and worker as real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.processes import BASE_ZONES, Process, base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def private_redis() -> Iterator[RedisServer]:
    """A Redis of the module's own, for tests that empty it (the session one serves the bot)."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis: RedisServer) -> Iterator[str]:
    """An empty database for each test."""
    client = redis.Redis.from_url(private_redis.url)
    client.flushdb()
    client.close()
    yield private_redis.url


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(BASE_ZONES).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kratos() -> Iterator[KratosStandIn]:
    standin = KratosStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(autouse=True)
def _kratos_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever a test made the Kratos stand-in answer must match Kratos's OpenAPI document."""
    yield
    if "kratos" in request.fixturenames:
        standin = request.getfixturevalue("kratos")
        assert standin.violations == [], standin.violations


@pytest.fixture(scope="session")
def stack_settings(
    redis_server: RedisServer, slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer
) -> dict[str, str]:
    return base_settings(redis_server.url, slack, kratos, dns)


@pytest.fixture(scope="session")
def bot(stack_settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bot as a real process on a real HTTP port; yields its base URL."""
    process, base = start_bot(mailcheck_env(**stack_settings), tmp_path_factory.mktemp("bot"))
    yield base
    process.stop()


@pytest.fixture(scope="session")
def worker(stack_settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """A real RQ worker process (forking, with the scheduler) on the test queue."""
    process = Process(
        ["worker"], mailcheck_env(**stack_settings), tmp_path_factory.mktemp("worker") / "worker.log"
    )
    yield process
    process.stop()
