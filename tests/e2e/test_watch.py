"""The courier watch end to end (SPEC §11): two real workers schedule rounds with RQ's scheduler every
WATCH_INTERVAL (10 s, the setting's minimum), a real bot takes the alert's buttons, and the Kratos,
SMTP, DNS and Slack stand-ins play the world. No timed assertion: every wait is for an outcome."""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e.helpers import run_command
from tests.processes import BASE_ZONES, Process, base_settings, mailcheck_env, start_bot
from tests.standins.block_actions import press
from tests.standins.dns_server import DnsServer
from tests.standins.flush_control import FlushControl
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from tests.standins.smtp_server import SmtpStandin, make_pki

CHANNEL, OPERATOR = "C0WATCH", "U0OPERATOR"
FLUSH_SCRIPT = Path(__file__).with_name("flush_command.py")
TWO_ROUNDS = 40  # seconds: two WATCH_INTERVALs, plus worker start-up and the rounds themselves


@dataclass
class Stack:
    slack: SlackStandIn
    kratos: KratosStandIn
    relay: SmtpStandin
    redis: RedisServer
    bot: str
    control: FlushControl


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("watch")
    with contextlib.ExitStack() as cleanup:
        redis_server = RedisServer().start()
        cleanup.callback(redis_server.stop)
        slack = SlackStandIn().start()
        cleanup.callback(slack.stop)
        kratos = KratosStandIn().start()
        cleanup.callback(kratos.stop)
        dns = DnsServer(BASE_ZONES).start()
        cleanup.callback(dns.stop)
        control = FlushControl(kratos).start()
        cleanup.callback(control.stop)
        relay = cleanup.enter_context(SmtpStandin(make_pki(logs), mode="plain"))
        env = mailcheck_env(
            **base_settings(redis_server.url, slack, kratos, dns)
            | {
                "MAILCHECK_QUEUE": "mailcheck-watch",
                "WATCH_CHANNEL": CHANNEL,
                "WATCH_INTERVAL": "10",
                "COURIER_SMTP_CONNECTION_URI": relay.uri(),
                "COURIER_SMTP_FROM_ADDRESS": "no-reply@example.com",
                "DNSBL_ZONES": "",
                "DNSBL_DOMAIN_ZONES": "",
                "MAILCHECK_OPERATORS": OPERATOR,
                "COURIER_FLUSH_COMMAND": shlex.join(
                    [sys.executable, str(FLUSH_SCRIPT), control.url + "?instance={instance}"]
                ),
                "FOLLOW_UP_SECONDS": "5",
            }
        )
        bot, url = start_bot(env, logs)
        workers = [Process(["worker"], env, logs / f"worker-{n}.log") for n in range(2)]
        cleanup.callback(lambda: [p.stop() for p in (bot, *workers)])
        yield Stack(slack, kratos, relay, redis_server, url, control)
    assert kratos.violations == [], kratos.violations


def _alerts(slack: SlackStandIn, kind: str) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.channel_messages(CHANNEL)
        if not m["thread_ts"]
        and (m.get("metadata") or {}).get("event_type") == "mailcheck_alert"
        and m["metadata"]["event_payload"]["kind"] == kind
    ]


def _payload(message: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = message["metadata"]["event_payload"]
    return payload


def _wait_alert(stack: Stack, kind: str, timeout: float = TWO_ROUNDS, **expected: Any) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for message in _alerts(stack.slack, kind):
            payload = _payload(message)
            if all(payload.get(key) == value for key, value in expected.items()):
                return message
        return None

    message: dict[str, Any] = stack.slack.wait_for(found, timeout)
    return message


def _thread(slack: SlackStandIn, ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.channel_messages(CHANNEL) if m["thread_ts"] == ts]


def _action_outcomes(slack: SlackStandIn, ts: str) -> list[str]:
    return [
        m["metadata"]["event_payload"]["outcome"]
        for m in _thread(slack, ts)
        if m["metadata"]["event_type"] == "mailcheck_action"
    ]


def test_stuck_courier_alert_flush_resolves_it_two_workers_one_message(stack: Stack) -> None:
    stack.kratos.add_message("ann@example.com", status="queued", age_s=900)
    stack.kratos.add_message("bob@example.com", status="queued", age_s=600)
    alert = _wait_alert(stack, "courier_stuck", state="open")
    assert "*2* affected recipient(s)" in str(alert["blocks"])
    assert "ann@example.com" not in str(stack.slack.channel_messages(CHANNEL))
    # Rounds go on under two workers, and still there is one message, updated in place.
    _wait_alert(stack, "courier_stuck", count=3)
    counts = redis.Redis.from_url(stack.redis.url).hgetall("mailcheck:watch:open")
    assert counts[b"courier_stuck"] == b"1"

    response, _hook = run_command(stack.bot, stack.slack, "status", channel="C0OPS", user="U0SRE")
    assert response.status_code == 200
    status = stack.slack.wait_for(
        lambda: [m for m in stack.slack.channel_messages("C0OPS") if "open alert(s)" in str(m["blocks"])]
    )
    assert "stuck" in str(status[0]["blocks"]) and _payload(alert)["alert_id"] in str(status[0]["blocks"])

    response, _hook = press(stack.bot, stack.slack, alert, "flush", user=OPERATOR)
    assert response.status_code == 200
    assert stack.slack.wait_for(lambda: "ok" in _action_outcomes(stack.slack, alert["ts"]), 30)
    assert _action_outcomes(stack.slack, alert["ts"]) == ["accepted", "ok"]
    assert stack.control.paths[-1].endswith("?instance=kratos")  # {instance}: the alert's instance
    resolved = _wait_alert(stack, "courier_stuck", state="resolved")
    assert resolved["ts"] == alert["ts"]
    assert len(_alerts(stack.slack, "courier_stuck")) == 1
    # the message is updated first, then the thread reply says so
    assert stack.slack.wait_for(
        lambda: any("Resolved" in str(m["blocks"]) for m in _thread(stack.slack, alert["ts"]))
    )
    # the round writes the open counts after its Slack calls
    watch_open = redis.Redis.from_url(stack.redis.url)
    assert stack.slack.wait_for(lambda: watch_open.hget("mailcheck:watch:open", "courier_stuck") == b"0")


def test_relay_refusing_the_password_is_one_smtp_failing_alert_until_healthy_two_rounds(stack: Stack) -> None:
    stack.relay.handler.password = "rotated-at-the-provider"
    try:
        alert = _wait_alert(stack, "smtp_failing", state="open")
        assert "535" in str(alert["blocks"])
        press(stack.bot, stack.slack, alert, "rerun", user="U0ANYONE")  # re-run needs no operator
        stack.slack.wait_for(lambda: "ok" in _action_outcomes(stack.slack, alert["ts"]), 30)
    finally:
        stack.relay.handler.password = "relay-secret"
    resolved = _wait_alert(stack, "smtp_failing", state="resolved")
    assert resolved["ts"] == alert["ts"] and len(_alerts(stack.slack, "smtp_failing")) == 1
    assert "rotated-at-the-provider" not in str(stack.slack.channel_messages(CHANNEL))
