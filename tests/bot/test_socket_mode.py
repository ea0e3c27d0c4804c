"""`mailcheck bot` in Socket Mode, end to end and offline: a real bot process and a real worker against
a local Socket Mode stand-in (apps.connections.open + a WebSocket server), Redis and Kratos."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.post_ack import PostAck
from bot.runner import socket_mode_handler
from tests.e2e.helpers import payload, report_messages, unique_email, wait_for_report
from tests.processes import ROOT, Process, base_settings, mailcheck_env
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import BOT_TOKEN
from tests.standins.socket_mode import (
    APP_TOKEN,
    Session,
    SocketModeStandIn,
    block_actions_payload,
)
from workers.slack.ids import Action

# Its own queue, so the session-wide worker of other tests (which posts to another Slack stand-in)
# never takes these jobs.
QUEUE = "mailcheck-socket-mode-tests"
BOUND_S = 15.0


@pytest.fixture(scope="module")
def socket_slack() -> Iterator[SocketModeStandIn]:
    standin = SocketModeStandIn().start()
    yield standin
    standin.stop()


def socket_env(
    redis_server: RedisServer, slack: SocketModeStandIn, kratos: KratosStandIn, dns: DnsServer, **extra: str
) -> dict[str, str]:
    settings = base_settings(redis_server.url, slack, kratos, dns)
    del settings["SLACK_SIGNING_SECRET"]  # Socket Mode needs none: Slack is reached, never reaches us
    # A port of its own for /healthz and /metrics, which the bot serves in Socket Mode too.
    settings.update(
        {"SLACK_APP_TOKEN": APP_TOKEN, "MAILCHECK_QUEUE": QUEUE, "PORT": str(free_port()), **extra}
    )
    return mailcheck_env(**settings)


def wait_connected(slack: SocketModeStandIn, bot: Process, number: int) -> Session:
    """The bot's `number`th WebSocket connection, once greeted with hello; fails fast if the bot died."""
    deadline = time.monotonic() + BOUND_S
    while time.monotonic() < deadline:
        if bot.popen.poll() is not None:
            raise AssertionError(f"the bot exited early:\n{bot.output()}")
        if len(slack.sessions) >= number:
            return slack.sessions[number - 1]
        time.sleep(0.02)
    raise AssertionError(f"no connection #{number} within {BOUND_S} s:\n{bot.output()}")


@pytest.fixture(scope="module")
def socket_bot(
    socket_slack: SocketModeStandIn,
    redis_server: RedisServer,
    kratos: KratosStandIn,
    dns: DnsServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Process]:
    """`mailcheck bot` with SLACK_APP_TOKEN set (no HTTP port), plus a real worker posting to the same stand-in."""
    logs = tmp_path_factory.mktemp("socket-mode")
    env = socket_env(redis_server, socket_slack, kratos, dns)
    worker = Process(["worker"], env, logs / "worker.log")
    bot = Process(["bot"], env, logs / "bot.log")
    try:
        wait_connected(socket_slack, bot, 1)
        yield bot
    finally:
        bot.stop()
        worker.stop()


def ack_payload(slack: SocketModeStandIn, envelope_id: str) -> dict[str, Any]:
    ack = slack.wait_for_ack(envelope_id, BOUND_S)
    assert ack["envelope_id"] == envelope_id
    result: dict[str, Any] = ack.get("payload") or {}
    return result


def test_connects_with_the_app_token_and_is_greeted(
    socket_slack: SocketModeStandIn, socket_bot: Process
) -> None:
    # Exactly one connection: the client does not replace a connection that is still starting.
    [opened] = socket_slack.connections_open
    assert opened.authorization == f"Bearer {APP_TOKEN}" and opened.ok
    assert socket_slack.sessions[0].ticket  # connected to the URL handed out, with its one-use ticket
    assert socket_slack.rejected_tickets == []
    assert APP_TOKEN not in socket_bot.output()


def test_app_token_goes_only_to_apps_connections_open(
    socket_slack: SocketModeStandIn, socket_bot: Process, kratos: KratosStandIn
) -> None:
    email = unique_email("tokens")
    ack_payload(socket_slack, socket_slack.push_slash_command(email))
    wait_for_report(socket_slack, email, timeout=BOUND_S)  # the bot and the worker have both called Slack
    methods = {method for method, _ in socket_slack.api_auth}
    assert {"apps.connections.open", "chat.postMessage", "chat.update"} <= methods
    for method, authorization in socket_slack.api_auth:
        token = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        assert authorization == f"Bearer {token}", method


def test_slash_command_is_acked_and_the_worker_completes_the_report(
    socket_slack: SocketModeStandIn, socket_bot: Process, kratos: KratosStandIn
) -> None:
    email = unique_email("socket")
    kratos.add_identity(email, verified=False, status="sent")
    kratos.add_message(email, status="sent", age_s=300)

    envelope_id = socket_slack.push_slash_command(
        email.upper(), user="U0ASKER", response_url=socket_slack.hook_url("socket-check")
    )

    assert ack_payload(socket_slack, envelope_id) == {}  # a plain ack: the answer is the channel report
    final = wait_for_report(socket_slack, email, timeout=BOUND_S)
    result = payload(final)
    assert result["state"] == "complete" and result["verdict"] == "sent"
    assert result["actions"] == "resend_verification,resend_recovery,rerun"
    assert len(report_messages(socket_slack, email)) == 1  # the parent, updated in place
    assert "<@U0ASKER>" in json.dumps(final["blocks"])
    assert socket_slack.hooks_for("socket-check") == []  # nothing ephemeral


@pytest.mark.parametrize(
    ("text", "channel", "expected"),
    [
        ("help", "C0SUPPORT", "/mailcheck user@example.com"),
        ("", "C0SUPPORT", "/mailcheck user@example.com"),
        ("no-at-sign.example.com", "C0SUPPORT", "no `@`"),
        ("a@example.com b@example.com", "C0SUPPORT", "exactly one"),
        ("someone@example.com", "C0RANDOM", "MAILCHECK_CHANNELS"),
    ],
)
def test_immediate_answers_ride_in_the_ack(
    socket_slack: SocketModeStandIn, socket_bot: Process, text: str, channel: str, expected: str
) -> None:
    posts = len(socket_slack.calls_of("chat.postMessage"))
    envelope_id = socket_slack.push_slash_command(text, channel=channel)
    answer = ack_payload(socket_slack, envelope_id)
    assert expected in answer["text"]
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert len(socket_slack.calls_of("chat.postMessage")) == posts


HOSTILE_ENVELOPES = {
    "actions not a list": {"type": "block_actions", "user": {"id": "U0X"}, "actions": "mailcheck.rerun"},
    "action without an id": {"type": "block_actions", "user": {"id": "U0X"}, "actions": [{"value": "r1"}]},
    "user not an object": {
        "type": "block_actions",
        "user": "U0X",
        "team": "T0",
        "actions": [{"action_id": "mailcheck.rerun", "value": "r1"}],
    },
    "over the size limit": {
        "type": "block_actions",
        "user": {"id": "U0X"},
        "actions": [{"action_id": "mailcheck.rerun", "value": "r" * (1024 * 1024 + 1)}],
    },
}


@pytest.mark.parametrize("name", sorted(HOSTILE_ENVELOPES))
def test_hostile_envelopes_meet_the_same_guards_as_http(
    socket_slack: SocketModeStandIn, socket_bot: Process, name: str
) -> None:
    posts = len(socket_slack.calls_of("chat.postMessage"))
    hooks = len(socket_slack.hooks)

    envelope_id = socket_slack.push("interactive", HOSTILE_ENVELOPES[name], accepts_response_payload=False)

    assert socket_slack.wait_for_ack(envelope_id, BOUND_S) == {"envelope_id": envelope_id}
    assert "malformed request" in socket_bot.output()
    envelope_id = socket_slack.push_slash_command("help")  # and the bot serves on
    assert "/mailcheck user@example.com" in ack_payload(socket_slack, envelope_id)["text"]
    assert len(socket_slack.calls_of("chat.postMessage")) == posts and len(socket_slack.hooks) == hooks


@pytest.mark.parametrize("how", ["abrupt_close", "refresh_requested"])
def test_reconnects_by_itself_and_handles_the_next_envelope(
    socket_slack: SocketModeStandIn, socket_bot: Process, how: str
) -> None:
    sessions, opened = len(socket_slack.sessions), len(socket_slack.connections_open)
    old = socket_slack.sessions[-1]
    if how == "abrupt_close":
        socket_slack.drop()
    else:
        socket_slack.request_refresh()

    new = wait_connected(socket_slack, socket_bot, sessions + 1)
    assert len(socket_slack.connections_open) == opened + 1  # one new connection, no churn
    assert all(c.authorization == f"Bearer {APP_TOKEN}" and c.ok for c in socket_slack.connections_open)
    socket_slack.wait_closed(old, BOUND_S)
    if how == "refresh_requested":
        assert old.close_code == 1000  # the bot itself closed the old connection, properly
    envelope_id = socket_slack.push_slash_command("help")
    assert "/mailcheck user@example.com" in ack_payload(socket_slack, envelope_id)["text"]
    assert any(m.get("envelope_id") == envelope_id for m in new.received)


def test_sigterm_closes_the_connection_cleanly(
    redis_server: RedisServer, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    slack = SocketModeStandIn().start()
    bot = Process(["bot"], socket_env(redis_server, slack, kratos, dns), tmp_path / "bot.log")
    try:
        session = wait_connected(slack, bot, 1)
        ack_payload(slack, slack.push_slash_command("help"))  # up and serving, not still connecting
        bot.popen.terminate()
        try:
            exit_code = bot.popen.wait(timeout=BOUND_S)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the bot did not stop on SIGTERM:\n{bot.output()}") from None
        assert exit_code == 0, bot.output()
        assert slack.wait_closed(session, BOUND_S).close_code == 1000
        assert "closing the Socket Mode connection" in bot.output()
    finally:
        bot.stop()
        slack.stop()


def test_the_bot_reaps_in_socket_mode_too(
    private_redis: RedisServer, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    """No worker at all: the Socket Mode bot's own reaper fails the report after QUEUE_TIMEOUT."""
    slack = SocketModeStandIn().start()
    # A Redis of its own: other tests' bots reap the session Redis with another QUEUE_TIMEOUT.
    env = socket_env(private_redis, slack, kratos, dns, QUEUE_TIMEOUT="1")
    bot = Process(["bot"], env, tmp_path / "bot.log")
    try:
        wait_connected(slack, bot, 1)
        email = unique_email("socket-no-worker")
        hook = slack.hook_url("socket-no-worker")
        ack_payload(slack, slack.push_slash_command(email, response_url=hook))

        failed = wait_for_report(slack, email, state="failed", timeout=BOUND_S)

        assert "mailcheck worker" in json.dumps(failed["blocks"])
        assert "No `mailcheck worker` is running" in slack.hooks_for("socket-no-worker")[0]["text"]
    finally:
        bot.stop()
        slack.stop()


def test_refused_app_token_is_a_configuration_error(
    socket_slack: SocketModeStandIn, redis_server: RedisServer, kratos: KratosStandIn, dns: DnsServer
) -> None:
    wrong = "xapp-1-A0MAILCHECK-1-revoked-token"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "bot"],
        env=socket_env(redis_server, socket_slack, kratos, dns, SLACK_APP_TOKEN=wrong),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert "SLACK_APP_TOKEN" in done.stderr and "invalid_auth" in done.stderr
    assert wrong not in done.stdout + done.stderr


def test_block_actions_envelopes_reach_action_listeners() -> None:
    """The stand-in's interactive envelopes, through the bot's Socket Mode handler, to a Bolt listener."""
    slack = SocketModeStandIn().start()
    pressed: list[dict[str, Any]] = []
    executor = ThreadPoolExecutor(max_workers=2)
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret="unused-in-socket-mode",
        token_verification_enabled=False,
        listener_executor=executor,
    )

    @app.action(Action.RERUN.action_id)
    def rerun(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        pressed.append(body)

    handler = socket_mode_handler(app, APP_TOKEN, PostAck().answering)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        slack.wait_for_session(1, BOUND_S)
        envelope_id = slack.push_block_actions(
            block_actions_payload(Action.RERUN.action_id, "r-123", user="U0PRESSER")
        )
        assert slack.wait_for_ack(envelope_id, BOUND_S) == {"envelope_id": envelope_id}
        slack.wait_for(lambda: pressed, BOUND_S)
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        executor.shutdown(wait=True)
        slack.stop()
    assert pressed[0]["user"]["id"] == "U0PRESSER"
    assert pressed[0]["actions"][0]["value"] == "r-123"
