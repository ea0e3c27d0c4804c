"""Shared fixtures: real local servers on loopback, and the bot and worker as real processes."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_CHANNELS = "C0SUPPORT,C0OPS"
RESEND_WEBHOOK_KEY = b"mailcheck-test-webhook-key-32by!"
RESEND_WEBHOOK_SECRET = "whsec_" + base64.b64encode(RESEND_WEBHOOK_KEY).decode()

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


def mailcheck_env(**settings: str) -> dict[str, str]:
    """A clean environment: only what the test sets, never the developer's own settings."""
    env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


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


# The recipients the e2e tests use live at example.com, whose mail goes to a plain MX.
BASE_ZONES = {
    "example.com": {"MX": ["10 mx.example.com."]},
    "mx.example.com": {"A": ["192.0.2.25"]},
}


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


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def wait_http(url: str, timeout: float = 20.0, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise RuntimeError(f"process exited early:\n{process.output()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def base_settings(
    redis_url: str, slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer
) -> dict[str, str]:
    return {
        "DNS_NAMESERVERS": dns.nameserver,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "MAILCHECK_QUEUE": "mailcheck-tests",
        "KRATOS_ADMIN_URL": kratos.admin_url,
        "KRATOS_PUBLIC_URL": kratos.public_url,
        "MAILCHECK_CHANNELS": ALLOWED_CHANNELS,
        "REPORT_DEADLINE": "8",
        "DNS_TIMEOUT": "0.5",
        "RESEND_WEBHOOK_SECRET": RESEND_WEBHOOK_SECRET,
    }


def start_bot(env: dict[str, str], tmp_path: Path) -> tuple[Process, str]:
    port = free_port()
    bot = Process(["bot", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / f"bot-{port}.log")
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/metrics", process=bot)
    return bot, base


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
