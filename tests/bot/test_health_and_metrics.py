"""`GET /healthz` and `GET /metrics` of the real bot process, in HTTP and in Socket Mode (SPEC §13):
what a real worker did reaches the bot's /metrics through Redis; queue depth and live workers come
from RQ's registries; /healthz is 503 without Redis or, in Socket Mode, after the socket has been down."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.bot.test_socket_mode import socket_env, wait_connected
from tests.e2e.helpers import payload, run_command, unique_email, wait_for_report
from tests.processes import ROOT, Process, base_settings, mailcheck_env, start_bot, wait_http
from tests.standins.block_actions import block_actions_payload
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import block_actions_body, post_signed
from tests.standins.socket_mode import SocketModeStandIn
from workers.clients.alert_store import AlertStore
from workers.clients.keyspace import WATCH_OPEN_COUNTS_KEY
from workers.clients.metrics_store import WATCH_KINDS
from workers.report.model import CHECK_NAMES

BOUND_S = 20.0
QUEUE = "mailcheck-metrics-tests"

T = TypeVar("T")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base: str) -> Samples:
    response = httpx.get(base + "/metrics", timeout=5)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def health(base: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(base + "/healthz", timeout=5)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def eventually(fetch: Callable[[], T], accept: Callable[[T], bool], description: str, process: Process) -> T:
    """What `fetch` returns once `accept` takes it (bounded; fails fast when the bot has died)."""
    deadline = time.monotonic() + BOUND_S
    while not accept(result := fetch()):
        assert process.popen.poll() is None, process.output()
        assert time.monotonic() < deadline, f"never: {description}: {result}\n{process.output()}"
        time.sleep(0.1)
    return result


@dataclass
class Running:
    """The bot in one mode, and how Slack reaches it there."""

    base: str
    bot: Process
    env: dict[str, str]
    slack: SlackStandIn
    socket: str  # what /healthz says about the socket

    def command(self, text: str) -> None:
        if isinstance(self.slack, SocketModeStandIn):
            self.slack.push_slash_command(text)
        else:
            assert run_command(self.base, self.slack, text)[0].status_code == 200

    def press(self, message: dict[str, Any], action: str) -> None:
        hook = self.slack.hook_url(f"press-{action}")
        pressed = block_actions_payload(message, f"mailcheck.{action}", user="U0ASKER", response_url=hook)
        if isinstance(self.slack, SocketModeStandIn):
            self.slack.push_block_actions(pressed)
        else:
            assert post_signed(self.base, block_actions_body(pressed)).status_code == 200

    def stop(self) -> None:
        self.bot.stop()


def start_socket_bot(
    env: dict[str, str], slack: SocketModeStandIn, log: Path, module: str = "bot.cli"
) -> Running:
    bot = Process(["bot", "--host", "127.0.0.1"], env, log, module)
    wait_connected(slack, bot, 1)
    base = f"http://127.0.0.1:{env['PORT']}"
    wait_http(base + "/metrics", process=bot)
    return Running(base, bot, env, slack, "connected")


@pytest.fixture(params=["http", "socket"])
def running(
    request: pytest.FixtureRequest,
    private_redis: RedisServer,
    redis_url: str,
    slack: SlackStandIn,
    kratos: KratosStandIn,
    dns: DnsServer,
    tmp_path: Path,
) -> Iterator[Running]:
    """The bot on an empty Redis of its own (metrics count per Redis), with no worker yet."""
    if request.param == "http":
        env = mailcheck_env(**{**base_settings(redis_url, slack, kratos, dns), "MAILCHECK_QUEUE": QUEUE})
        bot, base = start_bot(env, tmp_path)
        yield Running(base, bot, env, slack, "n/a")
        bot.stop()
        return
    socket_slack = SocketModeStandIn().start()
    try:
        env = socket_env(private_redis, socket_slack, kratos, dns, MAILCHECK_QUEUE=QUEUE)
        started = start_socket_bot(env, socket_slack, tmp_path / "bot.log")
        yield started
        started.stop()
    finally:
        socket_slack.stop()


def test_before_any_work_healthz_and_metrics_say_so(running: Running, redis_url: str) -> None:
    status, body = health(running.base)
    assert status == 200
    assert body == {
        "ok": True,
        "redis": "ok",
        "workers": 0,
        "queued": 0,
        "socket": running.socket,
        "watch": "off",
    }
    samples = scrape(running.base)
    assert value(samples, "mailcheck_workers") == 0 and value(samples, "mailcheck_queue_depth") == 0
    assert value(samples, "mailcheck_report_seconds_count") == 0
    assert not [name for name, _ in samples if name in ("mailcheck_reports_total", "mailcheck_actions_total")]
    # The courier watch's hash: every kind is 0 until the watch opens an alert.
    opened = {kind: value(samples, "mailcheck_watch_alerts_open", kind=kind) for kind in WATCH_KINDS}
    assert opened == dict.fromkeys(WATCH_KINDS, 0)
    redis.Redis.from_url(redis_url).hset(
        WATCH_OPEN_COUNTS_KEY, mapping={"courier_stuck": 2, "blocklisted": 1}
    )
    samples = scrape(running.base)
    assert value(samples, "mailcheck_watch_alerts_open", kind="courier_stuck") == 2
    assert value(samples, "mailcheck_watch_alerts_open", kind="blocklisted") == 1
    assert value(samples, "mailcheck_watch_alerts_open", kind="smtp_failing") == 0
    assert value(samples, "mailcheck_ack_seconds_count") is not None  # the bot's own metrics stay


def test_a_report_and_a_press_through_a_real_worker_reach_healthz_and_metrics(
    running: Running, kratos: KratosStandIn, tmp_path: Path
) -> None:
    email = unique_email("metrics")
    kratos.add_identity(email, verified=False, status="sent")
    kratos.add_message(email, status="sent", age_s=300)
    running.command(email)  # no worker yet: the report waits on the queue
    queued = eventually(lambda: health(running.base), lambda h: h[1]["queued"] == 1, "queued", running.bot)
    assert queued == (
        200,
        {"ok": True, "redis": "ok", "workers": 0, "queued": 1, "socket": running.socket, "watch": "off"},
    )
    assert value(scrape(running.base), "mailcheck_queue_depth") == 1

    worker = Process(["worker"], running.env, tmp_path / "worker.log")
    try:
        report = wait_for_report(running.slack, email, timeout=BOUND_S)
        checks = payload(report)["checks"]
        assert payload(report)["verdict"] == "sent"
        running.press(report, "rerun")  # a re-run: one more report, and the press's outcome
        samples = eventually(
            lambda: scrape(running.base),
            lambda s: value(s, "mailcheck_actions_total", action="rerun", outcome="ok") is not None,
            "/metrics counts the press's outcome",
            running.bot,
        )
        status, body = health(running.base)
    finally:
        worker.stop()

    assert status == 200 and body["workers"] == 1 and body["queued"] == 0 and body["socket"] == running.socket
    assert value(samples, "mailcheck_workers") == 1 and value(samples, "mailcheck_queue_depth") == 0
    assert value(samples, "mailcheck_reports_total", verdict="sent") == 2
    assert value(samples, "mailcheck_actions_total", action="rerun", outcome="ok") == 1
    for check, status_of_check in checks.items():
        assert value(samples, "mailcheck_check_results_total", check=check, status=status_of_check) == 2
    counted = sum(v for (name, _), v in samples.items() if name == "mailcheck_check_results_total")
    assert counted == 2 * len(CHECK_NAMES)
    assert value(samples, "mailcheck_report_seconds_count") == 2
    assert value(samples, "mailcheck_report_seconds_bucket", le="+Inf") == 2
    assert 0 < (value(samples, "mailcheck_report_seconds_sum") or 0) < 2 * BOUND_S


def test_without_redis_healthz_is_503_and_metrics_still_answer(
    slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    gone = RedisServer().start()
    url = gone.url
    gone.stop()  # nothing listens there any more
    env = mailcheck_env(**{**base_settings(url, slack, kratos, dns), "MAILCHECK_QUEUE": QUEUE})
    bot, base = start_bot(env, tmp_path)
    try:
        status, body = health(base)
        samples = scrape(base)
    finally:
        bot.stop()
    assert status == 503
    assert body == {"ok": False, "redis": "unreachable: ConnectionError"}
    assert value(samples, "mailcheck_workers") is None  # unknown, not 0
    assert value(samples, "mailcheck_ack_seconds_count") is not None


def test_socket_mode_without_redis_healthz_is_503(
    kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    gone = RedisServer().start()
    gone.stop()
    slack = SocketModeStandIn().start()
    try:
        started = start_socket_bot(socket_env(gone, slack, kratos, dns), slack, tmp_path / "bot.log")
        try:
            status, body = health(started.base)
        finally:
            started.stop()
    finally:
        slack.stop()
    assert status == 503
    assert body == {"ok": False, "redis": "unreachable: ConnectionError", "socket": "connected"}


def test_socket_down_for_longer_than_the_limit_is_503(
    redis_server: RedisServer, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    """Run by tests.bot.short_socket_limit: the limit is 1 s instead of 30 s, nothing else changes."""
    slack = SocketModeStandIn().start()
    env = socket_env(redis_server, slack, kratos, dns, MAILCHECK_QUEUE=f"{QUEUE}-socket-down")
    started = start_socket_bot(env, slack, tmp_path / "bot.log", module="tests.bot.short_socket_limit")
    try:
        assert health(started.base) == (
            200,
            {"ok": True, "redis": "ok", "workers": 0, "queued": 0, "socket": "connected", "watch": "off"},
        )
        slack.stop()  # Slack is gone: the connection drops and apps.connections.open cannot be reached

        status, body = eventually(
            lambda: health(started.base), lambda h: h[0] == 503, "/healthz says 503", started.bot
        )
    finally:
        started.stop()
    assert (
        status == 503 and body["ok"] is False and body["redis"] == "ok" and body["socket"] == "disconnected"
    )
    assert body["socket_down_s"] >= 1


def test_socket_mode_port_in_use_is_a_configuration_error(
    redis_server: RedisServer, kratos: KratosStandIn, dns: DnsServer
) -> None:
    slack = SocketModeStandIn().start()
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bot.cli", "bot", "--host", "127.0.0.1", "--port", str(port)],
                env=socket_env(redis_server, slack, kratos, dns),
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            slack.stop()
    assert done.returncode == 3
    assert "PORT: cannot serve /healthz and /metrics" in done.stderr


def test_a_watch_channel_the_bot_cannot_post_to_is_in_healthz(
    redis_url: str, slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    """SPEC §16: the watch's last post failure (kept by the watch round) is told by /healthz."""
    settings = {
        **base_settings(redis_url, slack, kratos, dns),
        "MAILCHECK_QUEUE": QUEUE,
        "WATCH_CHANNEL": "C0WATCH",
    }
    bot, base = start_bot(mailcheck_env(**settings), tmp_path)
    try:
        assert health(base)[1]["watch"] == "ok"
        AlertStore(redis.Redis.from_url(redis_url)).set_post_problem("cannot post: not_in_channel")
        status, body = health(base)
        assert status == 200 and body["watch"] == "cannot post: not_in_channel"
    finally:
        bot.stop()
