"""`mailcheck bot` in Socket Mode, end to end and offline: a real bot process and a real worker against
a local Socket Mode stand-in (apps.connections.open + a WebSocket server), Redis and Kratos."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.post_ack import PostAck
from bot.reconnect import BASE_S, CAP_S, JITTER, Backoff
from bot.runner import socket_mode_handler
from tests.e2e.helpers import payload, report_messages, unique_email, wait_for_report
from tests.processes import ROOT, Process, base_settings, mailcheck_env, wait_http
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import BOT_TOKEN
from tests.standins.socket_mode import (
    APP_TOKEN,
    Refusal,
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


# -- reconnects while Slack refuses the socket (SPEC §16) ------------------------------------------------
# Before the fix the client called apps.connections.open every 0.5 s while refused (about 20 calls in
# 10 s), whatever the cause. Bounds below are counts and lower bounds on gaps (a slow machine only
# stretches gaps), with an upper bound only where the SPEC sets one (the cap), and then with a margin.
SLOWNESS_S = 0.4  # how much earlier than due a call may seem to arrive (its latency varies, not its start)
LATE_S = 5.0  # how much later than due a slow machine may make a call or a connection


def nominal(base: float, cap: float, attempt: int) -> float:
    return min(cap, base * 2.0**attempt)


def test_backoff_doubles_from_base_to_the_cap() -> None:
    backoff = Backoff(rand=lambda: 0.0)  # no jitter taken off: the nominal delays
    assert [backoff.attempt() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]
    assert (BASE_S, CAP_S) == (1.0, 15.0)  # SPEC §16's production defaults
    assert Backoff(base=0.5, cap=3.0, rand=lambda: 0.0).delay(3) == 3.0
    assert Backoff(rand=lambda: 0.0).delay(100_000) == 15.0  # Slack down for days: no overflow


def test_backoff_jitter_stays_within_its_bounds() -> None:
    assert 0 < JITTER < 1
    most = Backoff(rand=lambda: 0.999999)
    assert [round(most.delay(a), 3) for a in (0, 4)] == [round(1 - JITTER, 3), round(15 * (1 - JITTER), 3)]
    backoff = Backoff()  # the real random source
    delays = [backoff.delay(attempt) for attempt in range(6) for _ in range(300)]
    for attempt in range(6):
        drawn = delays[attempt * 300 : (attempt + 1) * 300]
        top = nominal(BASE_S, CAP_S, attempt)
        assert all((1 - JITTER) * top <= d <= top for d in drawn)  # never above the cap
        assert len(set(drawn)) > 250  # and really jittered
    # Even at their most jittered the delays grow until the cap: 0.8..1, 1.6..2, 3.2..4, ...
    assert (1 - JITTER) * 2 > 1


def test_backoff_gates_attempts_on_its_clock_and_resets() -> None:
    now = [100.0]
    backoff = Backoff(base=1.0, cap=4.0, rand=lambda: 0.0, clock=lambda: now[0])
    assert backoff.due() and backoff.remaining() == 0.0  # the first attempt goes at once
    assert backoff.attempt() == 1.0
    assert not backoff.due() and backoff.remaining() == 1.0
    now[0] += 1.0
    assert backoff.due()
    assert [backoff.attempt() for _ in range(3)] == [2.0, 4.0, 4.0]
    assert backoff.remaining() == 4.0  # counted from the latest attempt
    backoff.reset()  # a connection succeeded
    assert backoff.due()  # the next attempt goes at once...
    assert backoff.attempt() == 1.0  # ...and the one after waits the base again
    with pytest.raises(ValueError):
        Backoff(base=2.0, cap=1.0)
    with pytest.raises(ValueError):
        Backoff(jitter=1.0)


@contextmanager
def runner_against(slack: SocketModeStandIn, backoff: Backoff) -> Iterator[Any]:
    """The bot's real Socket Mode handler in this process, with `backoff`, connected to `slack`."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret="unused-in-socket-mode",
        token_verification_enabled=False,
    )
    handler = socket_mode_handler(app, APP_TOKEN, PostAck().answering, backoff)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        slack.wait_for_session(1, BOUND_S)
        yield handler
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def calls_after(slack: SocketModeStandIn, start: int) -> list[float]:
    return slack.open_times()[start:]


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


@pytest.mark.parametrize("where", ["connections_open", "handshake"])
def test_while_slack_refuses_the_socket_reconnects_back_off_to_the_cap(where: Refusal) -> None:
    base, cap, window = 0.5, 2.0, 8.0  # SPEC §16's policy, scaled down so the test need not take minutes
    slack = SocketModeStandIn().start()
    try:
        with runner_against(slack, Backoff(base=base, cap=cap)) as handler:
            before = len(slack.connections_open)
            slack.refuse(where)
            slack.drop()
            time.sleep(window)
            times = calls_after(slack, before)
            assert handler.down_for() > 0.0  # what /healthz reports: not connected
    finally:
        slack.stop()

    # Due at 0, ~0.5, ~1.5, ~3.5, ~5.5, ~7.5 s: 6 calls (7 at the most jitter); 16 or so before the fix.
    assert 4 <= len(times) <= 8, gaps(times)
    answered = [call.ok for call in slack.connections_open[before:]]
    if where == "connections_open":
        assert not any(answered)
    else:  # each URL handed out was tried (the last one perhaps after the window), and none again
        assert all(answered) and len(times) - 1 <= slack.refused_handshakes <= len(times)
        assert slack.rejected_tickets == []
    for attempt, gap in enumerate(gaps(times)):
        # Each wait at least the (jittered) doubling delay: 0.4.., 0.8.., 1.6.. s, then the cap.
        assert gap >= (1 - JITTER) * nominal(base, cap, attempt) - SLOWNESS_S, (attempt, gaps(times))
        assert gap <= cap + LATE_S, (attempt, gaps(times))  # and never far beyond the cap
    assert max(gaps(times)) >= (1 - JITTER) * cap - SLOWNESS_S  # the doubling did reach the cap


def test_the_backoff_starts_over_once_a_connection_succeeds() -> None:
    base, cap = 0.5, 3.0
    slack = SocketModeStandIn().start()
    try:
        with runner_against(slack, Backoff(base=base, cap=cap)) as handler:
            before = len(slack.connections_open)
            slack.refuse("connections_open")
            slack.drop()
            # Calls at ~0, 0.5, 1.5, 3.5 s: the next delay is the 3 s cap.
            slack.wait_for(lambda: len(calls_after(slack, before)) >= 4, BOUND_S)
            slack.accept()
            accepted = time.monotonic()
            grown = gaps(calls_after(slack, before))[2]
            session = slack.wait_for_session(2, BOUND_S)  # the next call, due after the cap, connects
            slack.wait_for(lambda: handler.down_for() == 0.0, BOUND_S)
            connected_after = time.monotonic() - accepted
            reconnected = len(slack.connections_open)

            slack.refuse("connections_open")
            dropped = time.monotonic()
            slack.drop()
            slack.wait_for(lambda: len(calls_after(slack, reconnected)) >= 2, BOUND_S)
            first, second = calls_after(slack, reconnected)[:2]
            assert session.ticket
    finally:
        slack.stop()
    assert grown >= (1 - JITTER) * nominal(base, cap, 2) - SLOWNESS_S  # the backoff had grown (1.6.. s)
    assert connected_after <= cap + LATE_S, connected_after  # at the cap, connected within it once accepted
    # Without the reset the first call would wait out the cap (2.4..3 s) after the successful one, and
    # the second another cap; with it the first goes at once and the second after the base (0.4..0.5 s).
    assert first - dropped < (1 - JITTER) * cap - 1.0, first - dropped
    assert (1 - JITTER) * base - SLOWNESS_S <= second - first < (1 - JITTER) * cap - 1.0, second - first


def healthz(base_url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(base_url + "/healthz", timeout=5)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_refused_bot_backs_off_then_connects_within_the_cap_and_healthz_says_connected(
    redis_server: RedisServer, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> None:
    """The real bot process with the production backoff (1 s doubling, 15 s cap)."""
    window = 8.0
    slack = SocketModeStandIn().start()
    env = socket_env(redis_server, slack, kratos, dns)
    base_url = f"http://127.0.0.1:{env['PORT']}"
    bot = Process(["bot", "--host", "127.0.0.1"], env, tmp_path / "bot.log")
    try:
        wait_connected(slack, bot, 1)
        wait_http(base_url + "/metrics", process=bot)
        before = len(slack.connections_open)
        slack.refuse("connections_open")
        slack.drop()
        time.sleep(window)
        times = calls_after(slack, before)
        refused_health = healthz(base_url)

        slack.accept()
        accepted = time.monotonic()
        wait_connected(slack, bot, 2)
        connected_after = time.monotonic() - accepted
        slack.wait_for(lambda: healthz(base_url)[1].get("socket") == "connected", BOUND_S)
        status, body = healthz(base_url)
        output = bot.output()
    finally:
        bot.stop()
        slack.stop()

    # Due at 0, ~1, ~3, ~7 s: 4 calls in 8 s (16 or so before the fix).
    assert 3 <= len(times) <= 5, gaps(times)
    for attempt, gap in enumerate(gaps(times)):
        assert gap >= (1 - JITTER) * nominal(BASE_S, CAP_S, attempt) - SLOWNESS_S, gaps(times)
    assert refused_health[0] == 200 and refused_health[1]["socket"] == "disconnected"  # under 30 s down
    # The call after the 4th came due within the cap of it (by ~15 s at the latest), so well within
    # the cap of Slack accepting again.
    assert connected_after <= CAP_S + LATE_S, connected_after
    assert (status, body["ok"], body["socket"]) == (200, True, "connected")
    assert "Traceback" not in output
