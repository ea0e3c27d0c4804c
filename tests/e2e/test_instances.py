"""Olympus-wide (SPEC §12) end to end: the real bot and worker with KRATOS_INSTANCES naming two Kratos
stand-ins, CIAM (verification on) and IAM (verification off); buttons and the flush act on the
instance the report was decided on; `/mailcheck history` lists reports and presses across a bot
restart, and a report whose message was deleted as such.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.e2e.helpers import block_text, report_messages, run_command, unique_email
from tests.processes import BASE_ZONES, ROOT, Process, base_settings, mailcheck_env, start_bot, wait_http
from tests.standins.block_actions import press
from tests.standins.dns_server import DnsServer
from tests.standins.flush_control import FlushControl, FlushPlan
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn

OPERATOR = "U0OPERATOR"
FLUSH_SCRIPT = Path(__file__).with_name("flush_command.py")


@dataclass
class Stack:
    slack: SlackStandIn
    ciam: KratosStandIn
    iam: KratosStandIn
    control: FlushControl
    redis: RedisServer
    env: dict[str, str]
    logs: Path
    bot: str = ""
    processes: list[Process] = field(default_factory=list)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with contextlib.ExitStack() as cleanup:
        redis_server = RedisServer().start()
        cleanup.callback(redis_server.stop)
        slack = SlackStandIn().start()
        cleanup.callback(slack.stop)
        ciam = cleanup.enter_context(KratosStandIn())
        iam = cleanup.enter_context(KratosStandIn(verification_enabled=False))
        dns = DnsServer(BASE_ZONES).start()
        cleanup.callback(dns.stop)
        control = FlushControl(iam).start()  # the flush in these tests moves IAM's queue
        cleanup.callback(control.stop)
        instances = f"ciam={ciam.admin_url}|{ciam.public_url},iam={iam.admin_url}|{iam.public_url}"
        env = mailcheck_env(
            **base_settings(redis_server.url, slack, ciam, dns)
            | {
                "MAILCHECK_QUEUE": "mailcheck-instances",
                "KRATOS_INSTANCES": instances,
                "MAILCHECK_OPERATORS": OPERATOR,
                "FOLLOW_UP_SECONDS": "2",
                "COURIER_FLUSH_COMMAND": shlex.join(
                    [sys.executable, str(FLUSH_SCRIPT), control.url + "?instance={instance}"]
                ),
            }
        )
        logs = tmp_path_factory.mktemp("instances")
        built = Stack(slack, ciam, iam, control, redis_server, env, logs)
        cleanup.callback(lambda: [process.stop() for process in built.processes])
        built.processes.append(Process(["worker"], env, logs / "worker.log"))
        bot, built.bot = start_bot(env, logs)
        built.processes.append(bot)
        yield built
    assert ciam.violations == [] and iam.violations == []


def _report(stack: Stack, email: str) -> dict[str, Any]:
    known = {m["ts"] for m in report_messages(stack.slack, email)}
    response, _ = run_command(stack.bot, stack.slack, email)
    assert response.status_code == 200

    def finished() -> dict[str, Any] | None:
        fresh = [m for m in report_messages(stack.slack, email) if m["ts"] not in known]
        return next((m for m in fresh if m["metadata"]["event_payload"]["state"] == "complete"), None)

    report: dict[str, Any] = stack.slack.wait_for(finished, 20)
    return report


def _outcomes(stack: Stack, report: dict[str, Any], count: int) -> list[dict[str, str]]:
    report_id = report["metadata"]["event_payload"]["report_id"]

    def enough() -> list[dict[str, str]] | None:
        found = [
            m
            for m in stack.slack.channel_messages("C0SUPPORT")
            if (m.get("metadata") or {}).get("event_type") == "mailcheck_action"
            and m["metadata"]["event_payload"]["report_id"] == report_id
        ]
        found.sort(key=lambda m: float(m["ts"]))
        return [m["metadata"]["event_payload"] for m in found] if len(found) >= count else None

    replies: list[dict[str, str]] = stack.slack.wait_for(enough, 20)
    return replies


def _flow_posts(kratos: KratosStandIn, kind: str) -> int:
    return sum(
        method == "POST" and path.startswith(f"/self-service/{kind}?") for method, path in kratos.requests
    )


def test_identity_in_ciam_only_names_ciam(stack: Stack) -> None:
    email = unique_email("ciam-only")
    stack.ciam.add_identity(email)
    payload = _report(stack, email)["metadata"]["event_payload"]
    assert payload["instance"] == "ciam"
    assert payload["actions"] == "resend_verification,resend_recovery,rerun"


def test_identity_in_both_follows_the_newest_courier_message(stack: Stack) -> None:
    email = unique_email("both")
    stack.ciam.add_identity(email, verified=True)
    stack.iam.add_identity(email, verified=True)
    stack.ciam.add_message(email, status="sent", age_s=30)
    stack.iam.add_message(email, status="sent", age_s=3000)
    report = _report(stack, email)
    assert report["metadata"]["event_payload"]["instance"] == "ciam"
    blocks = json.dumps(report["blocks"])
    assert "ciam: Identity" in blocks and "iam: Identity" in blocks


def test_iam_offers_no_resend_verification_and_a_forged_press_is_refused(stack: Stack) -> None:
    email = unique_email("iam-only")
    stack.iam.add_identity(email)
    report = _report(stack, email)
    payload = report["metadata"]["event_payload"]
    assert payload["instance"] == "iam" and payload["actions"] == "resend_recovery,rerun"
    posts = _flow_posts(stack.iam, "verification") + _flow_posts(stack.ciam, "verification")
    press(stack.bot, stack.slack, report, "resend_verification", user=OPERATOR, value=payload["report_id"])
    [denied] = _outcomes(stack, report, 1)
    assert denied["outcome"] == "denied" and "does not offer" in denied["detail"]
    assert _flow_posts(stack.iam, "verification") + _flow_posts(stack.ciam, "verification") == posts
    # Recovery works there, through IAM's own public URL.
    stack.iam.auto_courier = ("sent", 0.05)
    ciam_posts = _flow_posts(stack.ciam, "recovery")
    try:
        press(stack.bot, stack.slack, report, "resend_recovery", user=OPERATOR)
        replies = _outcomes(stack, report, 3)
    finally:
        stack.iam.auto_courier = None
    assert [r["outcome"] for r in replies[1:]] == ["accepted", "ok"]
    assert _flow_posts(stack.iam, "recovery") == 1 and _flow_posts(stack.ciam, "recovery") == ciam_posts


def test_one_instance_down_the_other_decides(stack: Stack) -> None:
    email = unique_email("ciam-down")
    stack.iam.add_identity(email, verified=True)
    stack.iam.add_message(email, status="sent", age_s=60)
    stack.ciam.fail_with = 503
    try:
        report = _report(stack, email)
    finally:
        stack.ciam.fail_with = None
    payload = report["metadata"]["event_payload"]
    assert payload["instance"] == "iam" and payload["verdict"] == "sent"
    assert payload["checks"]["identity"] == "ok" and payload["checks"]["courier"] == "ok"
    assert "ciam: Kratos admin API answered HTTP 503" in json.dumps(report["blocks"])


def test_flush_runs_the_command_for_the_deciding_instance(stack: Stack) -> None:
    email = unique_email("iam-stuck")
    stack.iam.add_identity(email)
    stack.iam.add_message(email, status="queued", age_s=600)
    report = _report(stack, email)
    payload = report["metadata"]["event_payload"]
    assert payload["verdict"] == "courier_stuck" and payload["instance"] == "iam"
    stack.control.plan = FlushPlan(lines=["prod_iam-kratos_1"])
    press(stack.bot, stack.slack, report, "flush", user=OPERATOR)
    replies = _outcomes(stack, report, 2)
    assert [r["outcome"] for r in replies] == ["accepted", "ok"]
    assert stack.control.paths[-1].endswith("?instance=iam")  # {instance}, from KRATOS_INSTANCES
    assert "sent all 1 watched" in replies[1]["detail"]


def _history(stack: Stack, email: str) -> str:
    response, hook = run_command(stack.bot, stack.slack, f"history {email}")
    assert response.status_code == 200
    [answer] = stack.slack.wait_for(lambda: stack.slack.hooks_for(hook), 15)
    assert answer["response_type"] == "ephemeral"
    return "\n".join(block_text(block) for block in answer.get("blocks") or [])


def _restart_bot(stack: Stack) -> None:
    old = stack.processes.pop()
    old.stop()
    bot, stack.bot = start_bot(stack.env, stack.logs)
    stack.processes.append(bot)
    wait_http(stack.bot + "/metrics", process=bot)


def test_history_after_two_reports_and_a_press_across_a_bot_restart(stack: Stack) -> None:
    email = unique_email("history")
    stack.ciam.add_identity(email, verified=True)
    first = _report(stack, email)
    second = _report(stack, email)
    stack.ciam.auto_courier = ("sent", 0.05)
    try:
        press(stack.bot, stack.slack, second, "resend_recovery", user=OPERATOR)
        _outcomes(stack, second, 2)
    finally:
        stack.ciam.auto_courier = None
    _restart_bot(stack)

    lines = _history(stack, email.upper()).splitlines()[1:]
    assert len(lines) == 3
    assert "*Send recovery* by <@U0OPERATOR>: done" in lines[0]  # newest first
    assert all("Report: *Already verified: nothing to send* (Kratos `ciam`)" in line for line in lines[1:])
    assert f"p{second['ts'].replace('.', '')}|open>" in lines[1]
    assert f"p{first['ts'].replace('.', '')}|open>" in lines[2]

    stack.slack.delete_message(first["channel"], first["ts"])
    assert "_message deleted_" in _history(stack, email).splitlines()[-1]

    keys = redis.Redis.from_url(stack.redis.url).keys("*")
    assert not [k for k in keys if email.encode() in k.lower()]  # never the address in clear

    cli = subprocess.run(
        [sys.executable, "-m", "bot.cli", "history", email, "--json"],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    rows = json.loads(cli.stdout)
    assert [row["kind"] for row in rows] == ["action", "report", "report"]
    assert rows[2]["message_deleted"] is True and rows[1]["permalink"].startswith("https://")
    assert rows[0]["action"] == "resend_recovery" and rows[0]["outcome"] == "ok"


def test_history_of_an_unknown_address_and_a_bad_one(stack: Stack) -> None:
    assert "No report or button press" in _history(stack, unique_email("never"))
    response, _ = run_command(stack.bot, stack.slack, "history not-an-address")
    assert "not an email address" in response.text
