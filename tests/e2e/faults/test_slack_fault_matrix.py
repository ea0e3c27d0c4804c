"""The fault matrix's Slack part (SPEC §16): every Web API method mailcheck calls × {timeout after the call
landed, connection reset before it, HTTP 500, 429}, through the real bot and a real worker against the
Slack stand-in. Each case runs a report, an operator's press with its follow-up, a courier-watch round
and a history question with the fault armed before each step, then checks the invariants:

- no report is left `running`, and each has exactly one parent message;
- every press gets exactly one reply (accepted or refused), and every accepted press exactly one outcome;
- each alert has exactly one message;
- the history lists the report and the press's outcome.

Faults are consumed call by call, by whichever flow makes that call first: the invariants hold whoever
meets the fault. conversations.history and .replies are only called to reconcile a lost post, so their
cases lose a post first.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from tests.e2e.faults.quick_slack import QUICK_SLACK_TIMEOUT_S
from tests.e2e.faults.stack import wait_until
from tests.e2e.helpers import block_text, run_command
from tests.processes import BASE_ZONES, Process, base_settings, mailcheck_env, wait_http
from tests.standins.block_actions import press
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import SlackStandIn
from workers.clients.alert_store import AlertStore
from workers.clients.keyspace import OPERATOR_GROUP_PREFIX, RUNNING_KEY
from workers.core.settings import load_settings
from workers.jobs.watch import one_round
from workers.slack.api import SlackPoster, web_client

OPERATOR_GROUP, OPERATOR = "S0OPERATORS", "U0OPERATOR"
WATCH_CHANNEL = "C0WATCHMATRIX"
METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.getPermalink",
    "usergroups.users.list",
    "conversations.history",
    "conversations.replies",
)
FAULTS: dict[str, Callable[[SlackStandIn, str], None]] = {
    "timeout_after_landing": lambda s, m: s.hang_after(m, 1, seconds=QUICK_SLACK_TIMEOUT_S + 1),
    "reset_before": lambda s, m: s.reset_before(m, 1),
    "http_500": lambda s, m: s.http_error(m, 1, status=500, landed=m == "chat.postMessage"),
    "429": lambda s, m: s.rate_limit(m, 1, retry_after=1),
}
WAIT_S = 40.0
QUICK_SLACK = "tests.e2e.faults.quick_slack"  # the real bot and worker with a 2 s Slack timeout
_emails = itertools.count(1)


@dataclass
class World:
    slack: SlackStandIn
    kratos: KratosStandIn
    redis: RedisServer
    bot: str
    env: dict[str, str]

    def arm(self, method: str, fault: str) -> None:
        if method in ("conversations.history", "conversations.replies"):
            self.slack.drop_after("chat.postMessage", 1)  # a post whose answer is lost: reconciled
        if method == "usergroups.users.list":  # the membership is cached 5 min: make the press ask
            connection = redis.Redis.from_url(self.redis.url)
            connection.delete(*connection.keys(OPERATOR_GROUP_PREFIX + "*") or ["-"])
        FAULTS[fault](self.slack, method)

    def disarm(self) -> None:
        for method in METHODS:
            self.slack.reset_before(method, 0)
            self.slack.drop_after(method, 0)
            self.slack.hang_after(method, 0, 0)
            self.slack.http_error(method, 0)
            self.slack.rate_limit(method, 0)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    logs = tmp_path_factory.mktemp("slack-matrix")
    with contextlib.ExitStack() as cleanup:
        redis_server = RedisServer().start()
        cleanup.callback(redis_server.stop)
        slack = SlackStandIn().start()
        cleanup.callback(slack.stop)
        slack.usergroups[OPERATOR_GROUP] = [OPERATOR]
        kratos = cleanup.enter_context(KratosStandIn(auto_courier=("sent", 0.05)))
        dns = DnsServer(BASE_ZONES).start()
        cleanup.callback(dns.stop)
        settings = base_settings(redis_server.url, slack, kratos, dns) | {
            "MAILCHECK_QUEUE": "mailcheck-slack-matrix",
            "MAILCHECK_OPERATOR_GROUP": OPERATOR_GROUP,
            "FOLLOW_UP_SECONDS": "20",
            "REPORT_DEADLINE": "5",
        }
        env = mailcheck_env(**settings)
        port = free_port()
        bot = Process(["bot", "--host", "127.0.0.1", "--port", str(port)], env, logs / "bot.log", QUICK_SLACK)
        cleanup.callback(bot.stop)
        wait_http(f"http://127.0.0.1:{port}/metrics", process=bot)
        worker = Process(["worker"], env, logs / "worker.log", QUICK_SLACK)
        cleanup.callback(worker.stop)
        yield World(slack, kratos, redis_server, f"http://127.0.0.1:{port}", env)


def _top_level(slack: SlackStandIn, channel: str, event_type: str, key: str) -> Counter[str]:
    return Counter(
        str(m["metadata"]["event_payload"][key])
        for m in slack.channel_messages(channel)
        if not m["thread_ts"] and (m.get("metadata") or {}).get("event_type") == event_type
    )


def _parents(world: World, email: str) -> list[dict[str, Any]]:
    return [
        m
        for m in world.slack.channel_messages("C0SUPPORT")
        if not m["thread_ts"]
        and (m.get("metadata") or {}).get("event_type") == "mailcheck_report"
        and m["metadata"]["event_payload"]["email"] == email
    ]


def _press_replies(world: World, report_id: str) -> list[str]:
    return [
        m["metadata"]["event_payload"]["outcome"]
        for m in sorted(world.slack.channel_messages("C0SUPPORT"), key=lambda m: float(m["ts"]))
        if (m.get("metadata") or {}).get("event_type") == "mailcheck_action"
        and m["metadata"]["event_payload"]["report_id"] == report_id
    ]


def _report_step(world: World, email: str) -> dict[str, Any]:
    response, _ = run_command(world.bot, world.slack, email)
    assert response.status_code == 200

    def complete() -> dict[str, Any] | None:
        parents = _parents(world, email)
        assert len(parents) <= 1, f"{len(parents)} parents for one report"
        done = [p for p in parents if p["metadata"]["event_payload"]["state"] == "complete"]
        return done[0] if done else None

    parent: dict[str, Any] = wait_until(complete, WAIT_S, f"report of {email} complete")
    return parent


def _press_step(world: World, parent: dict[str, Any]) -> list[str]:
    report_id = parent["metadata"]["event_payload"]["report_id"]
    response, _ = press(world.bot, world.slack, parent, "resend_recovery", user=OPERATOR)
    assert response.status_code == 200

    def settled() -> list[str] | None:
        replies = _press_replies(world, report_id)
        if replies[:1] == ["accepted"]:
            return replies if len(replies) >= 2 else None
        return replies or None  # refused: the one reply is all there is

    wait_until(settled, WAIT_S, "the press's replies")
    time.sleep(1.0)  # anything posted twice would arrive by now
    return _press_replies(world, report_id)


def _watch_step(world: World) -> None:
    settings = load_settings(
        {k.lower(): v for k, v in world.env.items() if k.isupper()} | {"watch_channel": WATCH_CHANNEL}
    )
    connection = redis.Redis.from_url(world.redis.url)
    one_round(settings, AlertStore(connection), SlackPoster(web_client(settings)))


def _history_step(world: World, email: str) -> str:
    response, hook = run_command(world.bot, world.slack, f"history {email}")
    assert response.status_code == 200
    [answer] = wait_until(lambda: world.slack.hooks_for(hook), WAIT_S, "the history answer")
    return " ".join(block_text(b) for b in answer.get("blocks") or [])


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("method", METHODS)
def test_slack_faults_keep_every_invariant(
    world: World, method: str, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("workers.slack.api.SLACK_HTTP_TIMEOUT_S", QUICK_SLACK_TIMEOUT_S)  # the watch step
    email = f"matrix{next(_emails)}@example.com"
    world.kratos.add_identity(email, verified=True)
    world.kratos.add_message(email, status="sent", age_s=300)
    # A courier_stuck alert (processing: the stand-in's courier sends only queued mail on a resend).
    world.kratos.add_message("stuck@example.com", status="processing", age_s=3600)
    try:
        world.arm(method, fault)
        parent = _report_step(world, email)
        world.arm(method, fault)
        replies = _press_step(world, parent)
        world.arm(method, fault)
        _watch_step(world)
        world.arm(method, fault)
        history = _history_step(world, email)
    finally:
        world.disarm()

    # No report left `running`, one parent each.
    assert len(_parents(world, email)) == 1
    ledger = redis.Redis.from_url(world.redis.url)
    wait_until(lambda: ledger.zcard(RUNNING_KEY) == 0, WAIT_S, "the running ledger empty")
    # One reply per press; one outcome per accepted press.
    if method == "usergroups.users.list" and fault != "429":
        assert replies == ["denied"], replies  # the group could not be read: refused, fail closed
    else:
        assert replies[0] == "accepted" and len(replies) == 2, replies
        assert replies[1] in ("ok", "failed", "timed_out")
    # Each alert exactly one message.
    alerts = _top_level(world.slack, WATCH_CHANNEL, "mailcheck_alert", "alert_id")
    assert alerts and set(alerts.values()) == {1}, alerts
    # Nothing lost from the history: the report, and the press's outcome when there was one.
    assert "Report:" in history, history
    if replies[0] == "accepted":
        assert "Send recovery" in history, history
