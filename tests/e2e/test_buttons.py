"""The buttons end to end (SPEC §4.3, §7): signed block_actions → bot → Redis/RQ → real workers →
Kratos, the flush command and the provider → the outcome in the report's thread.

This module runs its own stack, because its settings differ from the shared one: two bots and two
workers with operators (an ID list and a user group), a short FOLLOW_UP_SECONDS, a flush command, a
Resend stand-in with a key, an SMTP URI with a password, and Kratos in dev mode (bodies carry codes);
plus one bot and worker with no operators at all (fail closed).
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.helpers import report_messages, run_command, unique_email
from tests.processes import (
    BASE_ZONES,
    RESEND_WEBHOOK_SECRET,
    Process,
    base_settings,
    mailcheck_env,
    wait_http,
)
from tests.standins.block_actions import press
from tests.standins.dns_server import DnsServer
from tests.standins.flush_control import FlushControl, FlushPlan
from tests.standins.kratos import KratosStandIn
from tests.standins.providers import SUBJECT, ResendStandIn
from tests.standins.redis_server import RedisServer, free_port
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET

OPERATOR, GROUP, GROUP_MEMBER, STRANGER = "U0OPERATOR", "S0OPS", "U0GROUPIE", "U0STRANGER"
SMTP_PASSWORD = "Sm7p-pass!w0rd-4-buttons"
PROVIDER_KEY = "re_buttons_provider_key_0123456789"
FOLLOW_UP_SECONDS = 2
FLUSH_SCRIPT = Path(__file__).with_name("flush_command.py")
OUTCOME_TIMEOUT = FOLLOW_UP_SECONDS + 15


@dataclass
class Stack:
    slack: SlackStandIn
    kratos: KratosStandIn
    resend: ResendStandIn
    control: FlushControl
    redis: RedisServer
    bots: list[str]
    closed_bot: str
    processes: list[Process] = field(default_factory=list)


def _start_processes(
    open_env: dict[str, str], closed_env: dict[str, str], logs: Path, processes: list[Process]
) -> list[str]:
    """Two bots and two workers with operators, one of each without; all started before any is awaited."""
    urls = []
    for index, env in enumerate((open_env, open_env, closed_env)):
        port = free_port()
        processes.append(
            Process(["bot", "--host", "127.0.0.1", "--port", str(port)], env, logs / f"bot-{index}.log")
        )
        urls.append(f"http://127.0.0.1:{port}")
    for index, env in enumerate((open_env, open_env, closed_env)):
        processes.append(Process(["worker"], env, logs / f"worker-{index}.log"))
    for process, url in zip(processes, urls, strict=False):
        wait_http(url + "/metrics", process=process)
    return urls


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with contextlib.ExitStack() as cleanup:
        redis_server = RedisServer().start()
        cleanup.callback(redis_server.stop)
        slack = SlackStandIn().start()
        cleanup.callback(slack.stop)
        slack.usergroups[GROUP] = [GROUP_MEMBER]
        kratos = KratosStandIn(dev_mode=True).start()  # Kratos --dev: bodies and subjects come back whole
        cleanup.callback(kratos.stop)
        resend = cleanup.enter_context(ResendStandIn(PROVIDER_KEY))
        dns = DnsServer(BASE_ZONES).start()
        cleanup.callback(dns.stop)
        control = FlushControl(kratos).start()
        cleanup.callback(control.stop)
        common = base_settings(redis_server.url, slack, kratos, dns) | {
            # A relay that refuses connections: the smtp check fails fast; its URI carries a password.
            "COURIER_SMTP_CONNECTION_URI": f"smtp://mailcheck:{quote(SMTP_PASSWORD)}@127.0.0.1:{free_port()}",
            "MAIL_PROVIDER": "resend",
            "MAIL_PROVIDER_API_KEY": PROVIDER_KEY,
            "MAIL_PROVIDER_API_URL": resend.url,
            "COURIER_FLUSH_COMMAND": shlex.join([sys.executable, str(FLUSH_SCRIPT), control.url]),
            "FOLLOW_UP_SECONDS": str(FOLLOW_UP_SECONDS),
            "RESEND_LIMIT_PER_HOUR": "3",
        }
        open_env = mailcheck_env(
            **common
            | {
                "MAILCHECK_QUEUE": "mailcheck-buttons",
                "MAILCHECK_OPERATORS": OPERATOR,
                "MAILCHECK_OPERATOR_GROUP": GROUP,
            }
        )
        closed_env = mailcheck_env(**common | {"MAILCHECK_QUEUE": "mailcheck-buttons-closed"})
        processes: list[Process] = []
        cleanup.callback(lambda: [process.stop() for process in processes])
        urls = _start_processes(open_env, closed_env, tmp_path_factory.mktemp("buttons"), processes)
        yield Stack(slack, kratos, resend, control, redis_server, urls[:2], urls[2], processes)
    assert kratos.violations == [], kratos.violations


# ---- helpers -------------------------------------------------------------------------------------


def _report(stack: Stack, email: str, *, bot: str | None = None) -> dict[str, Any]:
    """Run `/mailcheck email` and return its finished report (a new one, also for a known address)."""
    known = {_id(m) for m in report_messages(stack.slack, email)}
    response, _ = run_command(bot or stack.bots[0], stack.slack, email)
    assert response.status_code == 200

    def finished() -> dict[str, Any] | None:
        fresh = [
            m for m in report_messages(stack.slack, email) if _id(m) not in known and not m.get("thread_ts")
        ]
        return next((m for m in fresh if m["metadata"]["event_payload"]["state"] == "complete"), None)

    report: dict[str, Any] = stack.slack.wait_for(finished, 20)
    return report


def _replies(slack: SlackStandIn, report_id: str) -> list[dict[str, Any]]:
    """The `mailcheck_action` replies about one report, oldest first."""
    found = [
        m
        for m in slack.channel_messages("C0SUPPORT")
        if (m.get("metadata") or {}).get("event_type") == "mailcheck_action"
        and m["metadata"]["event_payload"]["report_id"] == report_id
    ]
    return sorted(found, key=lambda m: float(m["ts"]))


def _outcomes(slack: SlackStandIn, report_id: str) -> list[str]:
    return [m["metadata"]["event_payload"]["outcome"] for m in _replies(slack, report_id)]


def _wait_outcomes(
    stack: Stack, report_id: str, count: int, timeout: float = OUTCOME_TIMEOUT
) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        replies = _replies(stack.slack, report_id)
        return replies if len(replies) >= count else None

    replies: list[dict[str, Any]] = stack.slack.wait_for(enough, timeout)
    return replies


def _id(message: dict[str, Any]) -> str:
    return str(message["metadata"]["event_payload"]["report_id"])


def _payloads(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [reply["metadata"]["event_payload"] for reply in replies]


def _flow_posts(kratos: KratosStandIn, kind: str) -> int:
    return sum(
        method == "POST" and path.startswith(f"/self-service/{kind}?") for method, path in kratos.requests
    )


def _press_and_wait(
    stack: Stack, report: dict[str, Any], action: str, *, user: str = OPERATOR, count: int = 2
) -> list[dict[str, str]]:
    response, _ = press(stack.bots[0], stack.slack, report, action, user=user)
    assert response.status_code == 200
    return _payloads(_wait_outcomes(stack, _id(report), count))


def _delivered_at_provider(stack: Stack, email: str, event: str = "delivered") -> None:
    stack.resend.add_email(f"em-{email}", email, datetime.now(UTC).isoformat(), last_event=event)


def _assert_reply_shape(payload: dict[str, str], report: dict[str, Any], action: str, actor: str) -> None:
    assert set(payload) == {"report_id", "action", "actor", "outcome", "detail"}
    assert all(isinstance(value, str) for value in payload.values())
    assert payload["report_id"] == _id(report) and payload["action"] == action and payload["actor"] == actor


# ---- resend --------------------------------------------------------------------------------------


def test_resend_verification_is_ok_when_sent_and_delivered(stack: Stack) -> None:
    email = unique_email("resend-ok")
    stack.kratos.add_identity(email)
    report = _report(stack, email)
    assert report["metadata"]["event_payload"]["actions"] == "resend_verification,resend_recovery,rerun"
    stack.kratos.auto_courier = ("sent", 0.05)
    _delivered_at_provider(stack, email)
    posts = _flow_posts(stack.kratos, "verification")
    try:
        replies = _press_and_wait(stack, report, "resend_verification")
    finally:
        stack.kratos.auto_courier = None
    assert [r["outcome"] for r in replies] == ["accepted", "ok"]
    for payload in replies:
        _assert_reply_shape(payload, report, "resend_verification", OPERATOR)
    assert "delivered" in replies[1]["detail"]
    assert _flow_posts(stack.kratos, "verification") == posts + 1
    threads = {m["thread_ts"] for m in _replies(stack.slack, _id(report))}
    assert threads == {report["ts"]}
    parent = stack.slack.wait_for(lambda: _with_last_action(stack, report, "ok"))
    assert f"<@{OPERATOR}>" in json.dumps(parent["blocks"]) and "Resend verification" in json.dumps(
        parent["blocks"]
    )
    assert parent["metadata"]["event_type"] == "mailcheck_report"


def _with_last_action(stack: Stack, report: dict[str, Any], outcome: str) -> dict[str, Any] | None:
    message = stack.slack.message(report["channel"], report["ts"])
    text = json.dumps(message["blocks"], ensure_ascii=False)
    return message if "last action" in text and f"— {outcome}" in text else None


@pytest.mark.parametrize(
    ("courier", "provider_event", "reason"),
    [("abandoned", None, "abandoned"), ("sent", "bounced", "bounced")],
)
def test_resend_recovery_fails_when_abandoned_or_bounced(
    stack: Stack, courier: str, provider_event: str | None, reason: str
) -> None:
    email = unique_email(f"resend-{reason}")
    stack.kratos.add_identity(email, verified=True)
    stack.kratos.add_message(email, status="sent", age_s=3600)
    report = _report(stack, email)
    if provider_event:
        _delivered_at_provider(stack, email, provider_event)
    stack.kratos.auto_courier = (courier, 0.05)
    try:
        replies = _press_and_wait(stack, report, "resend_recovery", user=GROUP_MEMBER)
    finally:
        stack.kratos.auto_courier = None
    assert [r["outcome"] for r in replies] == ["accepted", "failed"]
    assert reason in replies[1]["detail"] and replies[1]["actor"] == GROUP_MEMBER


# ---- flush ---------------------------------------------------------------------------------------


def _stuck_report(stack: Stack, label: str) -> dict[str, Any]:
    email = unique_email(label)
    stack.kratos.add_identity(email)
    stack.kratos.add_message(email, status="queued", age_s=600)
    report = _report(stack, email)
    payload = report["metadata"]["event_payload"]
    assert payload["verdict"] == "courier_stuck" and payload["actions"].startswith("flush,")
    return report


def test_flush_ok_reports_exit_status_and_scrubbed_output(stack: Stack) -> None:
    report = _stuck_report(stack, "flush-ok")
    stack.control.plan = FlushPlan(
        lines=[f"login {BOT_TOKEN} with {SMTP_PASSWORD}", "code 481516 sent", "prod_ciam-kratos_1 restarted"]
    )
    runs = stack.control.runs
    replies = _press_and_wait(stack, report, "flush")
    assert [r["outcome"] for r in replies] == ["accepted", "ok"]
    detail = replies[1]["detail"]
    assert "exited with status 0" in detail and "sent all 1 watched" in detail
    assert "prod_ciam-kratos_1 restarted" in detail and len(detail.split("\n", 1)[1]) <= 500
    posted = json.dumps([call.body for call in stack.slack.calls])
    for leak in (BOT_TOKEN, SMTP_PASSWORD, "481516"):
        assert leak not in posted
    assert stack.control.runs == runs + 1


@pytest.mark.parametrize(
    ("plan", "reason"),
    [
        (
            FlushPlan(lines=["Error: no container with name prod_ciam-kratos_1"], exit=125, courier=None),
            "status 125",
        ),
        (FlushPlan(courier="abandoned"), "abandoned 1 of 1"),
    ],
)
def test_flush_fails_on_exit_status_or_abandoned_messages(stack: Stack, plan: FlushPlan, reason: str) -> None:
    report = _stuck_report(stack, "flush-failed")
    stack.control.plan = plan
    replies = _press_and_wait(stack, report, "flush")
    assert [r["outcome"] for r in replies] == ["accepted", "failed"]
    assert reason in replies[1]["detail"]
    if plan.exit:
        assert "no container with name" in replies[1]["detail"]


def test_resend_and_flush_time_out_when_nothing_moves(stack: Stack) -> None:
    stack.control.plan = FlushPlan(courier=None)  # the command succeeds but the courier stays stuck
    stuck = _stuck_report(stack, "flush-timeout")
    email = unique_email("resend-timeout")
    stack.kratos.add_identity(email)
    quiet = _report(stack, email)  # and nothing sends the new verification mail
    press(stack.bots[0], stack.slack, stuck, "flush", user=OPERATOR)
    press(stack.bots[1], stack.slack, quiet, "resend_verification", user=OPERATOR)
    for report, action in ((stuck, "flush"), (quiet, "resend_verification")):
        replies = _payloads(_wait_outcomes(stack, _id(report), 2))
        assert [r["outcome"] for r in replies] == ["accepted", "timed_out"], action
        assert f"after {FOLLOW_UP_SECONDS} s" in replies[1]["detail"]
    assert "still `queued`" in _payloads(_replies(stack.slack, _id(quiet)))[1]["detail"]


# ---- unsuppress ----------------------------------------------------------------------------------


def _suppressed_report(stack: Stack, label: str) -> tuple[str, dict[str, Any]]:
    email = unique_email(label)
    stack.kratos.add_identity(email, verified=True)
    stack.kratos.add_message(email, status="sent", age_s=600)
    stack.resend.suppress(email, "bounce", datetime.now(UTC).isoformat())
    report = _report(stack, email)
    payload = report["metadata"]["event_payload"]
    assert payload["verdict"] == "provider_suppressed" and "unsuppress" in payload["actions"].split(",")
    return email, report


def test_unsuppress_ok_removes_the_suppression(stack: Stack) -> None:
    email, report = _suppressed_report(stack, "unsuppress-ok")
    replies = _press_and_wait(stack, report, "unsuppress")
    assert [r["outcome"] for r in replies] == ["accepted", "ok"]
    assert email not in stack.resend.suppressions


def test_unsuppress_fails_when_the_provider_does(stack: Stack) -> None:
    email, report = _suppressed_report(stack, "unsuppress-failed")
    stack.resend.fail(500, path=f"/suppressions/{email}")
    replies = _press_and_wait(stack, report, "unsuppress")
    assert [r["outcome"] for r in replies] == ["accepted", "failed"]
    assert "500" in replies[1]["detail"] and email in stack.resend.suppressions


# ---- rerun ---------------------------------------------------------------------------------------


def _rerun_reports(stack: Stack, root_ts: str) -> list[dict[str, Any]]:
    return sorted(
        (
            m
            for m in stack.slack.channel_messages("C0SUPPORT")
            if m.get("thread_ts") == root_ts
            and (m.get("metadata") or {}).get("event_type") == "mailcheck_report"
        ),
        key=lambda m: float(m["ts"]),
    )


def test_rerun_needs_no_operator_and_posts_a_new_report_in_the_thread(stack: Stack) -> None:
    email = unique_email("rerun")
    stack.kratos.add_identity(email)
    report = _report(stack, email)
    response, _ = press(stack.bots[0], stack.slack, report, "rerun", user=STRANGER)
    assert response.status_code == 200
    rerun = stack.slack.wait_for(lambda: _rerun_reports(stack, report["ts"]), OUTCOME_TIMEOUT)[0]
    payload = rerun["metadata"]["event_payload"]
    assert payload["email"] == email and payload["state"] == "complete" and _id(rerun) != _id(report)
    assert f"<@{STRANGER}>" in json.dumps(rerun["blocks"])  # the re-run says who asked for it
    assert _outcomes(stack.slack, _id(report)) == ["accepted"]  # its outcome is the report, not a reply
    stack.slack.wait_for(lambda: _with_last_action(stack, report, "ok"))
    # A button on the re-run report writes into the same thread and works like any other.
    press(stack.bots[1], stack.slack, rerun, "rerun", user=STRANGER)
    second = stack.slack.wait_for(
        lambda: len(_rerun_reports(stack, report["ts"])) == 2 and _rerun_reports(stack, report["ts"]),
        OUTCOME_TIMEOUT,
    )
    assert second[1]["thread_ts"] == report["ts"]
    assert [m["thread_ts"] for m in _replies(stack.slack, _id(rerun))] == [report["ts"]]


# ---- refusals ------------------------------------------------------------------------------------


def test_non_operator_is_denied_and_nothing_changes(stack: Stack) -> None:
    email = unique_email("denied")
    stack.kratos.add_identity(email)
    report = _report(stack, email)
    posts = _flow_posts(stack.kratos, "verification")
    replies = _press_and_wait(stack, report, "resend_verification", user=STRANGER, count=1)
    assert [r["outcome"] for r in replies] == ["denied"]
    _assert_reply_shape(replies[0], report, "resend_verification", STRANGER)
    assert STRANGER in replies[0]["detail"] and "MAILCHECK_OPERATORS" in replies[0]["detail"]
    assert _flow_posts(stack.kratos, "verification") == posts
    stack.slack.wait_for(lambda: _with_last_action(stack, report, "denied"))


def test_an_action_the_report_did_not_offer_is_denied(stack: Stack) -> None:
    email = unique_email("not-offered")
    stack.kratos.add_identity(email)
    report = _report(stack, email)
    assert "unsuppress" not in report["metadata"]["event_payload"]["actions"]
    runs = stack.control.runs
    for action in ("unsuppress", "flush"):
        response, _ = press(stack.bots[0], stack.slack, report, action, user=OPERATOR, value=_id(report))
        assert response.status_code == 200
    replies = _payloads(_wait_outcomes(stack, _id(report), 2))
    assert [r["outcome"] for r in replies] == ["denied", "denied"]
    assert "does not offer" in replies[0]["detail"]
    assert stack.control.runs == runs


def test_unknown_report_gets_an_ephemeral_error_and_changes_nothing(stack: Stack) -> None:
    email = unique_email("unknown")
    stack.kratos.add_identity(email)
    report = _report(stack, email)
    posts = len(stack.slack.calls_of("chat.postMessage"))
    response, hook = press(
        stack.bots[0], stack.slack, report, "resend_recovery", user=OPERATOR, value="0123456789abcdef0000"
    )
    assert response.status_code == 200 and response.text == ""
    answer = stack.slack.wait_for(lambda: stack.slack.hooks_for(hook))[0]
    assert answer["response_type"] == "ephemeral" and "no longer knows this report" in answer["text"]
    assert len(stack.slack.calls_of("chat.postMessage")) == posts


def test_same_press_on_two_bots_is_done_once(stack: Stack) -> None:
    email = unique_email("duplicate")
    stack.kratos.add_identity(email, verified=True)
    report = _report(stack, email)
    _delivered_at_provider(stack, email)
    stack.kratos.auto_courier = ("sent", 0.05)
    posts = _flow_posts(stack.kratos, "recovery")
    barrier = threading.Barrier(2)

    def press_on(bot: str) -> None:
        barrier.wait()
        press(bot, stack.slack, report, "resend_recovery", user=OPERATOR)

    threads = [threading.Thread(target=press_on, args=(bot,)) for bot in stack.bots]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        replies = _payloads(_wait_outcomes(stack, _id(report), 3))
    finally:
        stack.kratos.auto_courier = None
    assert sorted(r["outcome"] for r in replies[:2]) == ["accepted", "duplicate"]
    assert replies[2]["outcome"] == "ok"
    # Within a minute of its outcome the same press is still a duplicate, on either bot.
    press(stack.bots[1], stack.slack, report, "resend_recovery", user=GROUP_MEMBER)
    last = _payloads(_wait_outcomes(stack, _id(report), 4))[3]
    assert last["outcome"] == "duplicate" and "less than a minute ago" in last["detail"]
    assert _flow_posts(stack.kratos, "recovery") == posts + 1


def test_resend_limit_is_per_recipient_across_reports_bots_and_both_resends(stack: Stack) -> None:
    email = unique_email("limit")
    stack.kratos.add_identity(email)
    first, second = _report(stack, email), _report(stack, email, bot=stack.bots[1])
    _delivered_at_provider(stack, email)  # so that the accepted sends end quickly, each with `ok`
    stack.kratos.auto_courier = ("sent", 0.05)
    presses = [
        (stack.bots[0], first, "resend_verification", OPERATOR, "accepted"),
        (stack.bots[1], first, "resend_verification", OPERATOR, "duplicate"),  # does not count
        (stack.bots[0], first, "resend_recovery", STRANGER, "denied"),  # does not count
        (stack.bots[1], first, "resend_recovery", GROUP_MEMBER, "accepted"),
        (stack.bots[0], second, "resend_recovery", OPERATOR, "accepted"),
        (stack.bots[1], second, "resend_verification", OPERATOR, "rate_limited"),
    ]
    posts = _flow_posts(stack.kratos, "verification") + _flow_posts(stack.kratos, "recovery")
    for bot, report, action, user, expected in presses:
        before = len(
            [
                r
                for r in _payloads(_replies(stack.slack, _id(report)))
                if r["action"] == action and r["actor"] == user
            ]
        )
        press(bot, stack.slack, report, action, user=user)

        def answered(report=report, action=action, user=user, before=before) -> list[dict[str, str]] | None:
            mine = [
                r
                for r in _payloads(_replies(stack.slack, _id(report)))
                if r["action"] == action and r["actor"] == user
            ]
            return mine if len(mine) > before else None

        got = stack.slack.wait_for(answered)[before]
        assert got["outcome"] == expected, (action, user, got)
    limited = _payloads(_replies(stack.slack, _id(second)))
    limited_reply = next(r for r in limited if r["outcome"] == "rate_limited")
    assert "RESEND_LIMIT_PER_HOUR=3" in limited_reply["detail"]
    # each accepted send ends in its own outcome; refused presses started nothing
    try:
        outcomes = _wait_outcomes(stack, _id(second), 3)
        stack.slack.wait_for(lambda: len(_replies(stack.slack, _id(first))) >= 5, OUTCOME_TIMEOUT)
    finally:
        stack.kratos.auto_courier = None
    assert [r["outcome"] for r in _payloads(outcomes)].count("ok") == 1
    assert _flow_posts(stack.kratos, "verification") + _flow_posts(stack.kratos, "recovery") == posts + 3


# ---- fail closed ---------------------------------------------------------------------------------


def test_without_operators_every_changing_press_is_denied(stack: Stack) -> None:
    email = unique_email("closed")
    stack.kratos.add_identity(email)
    stack.kratos.add_message(email, status="queued", age_s=600)
    report = _report(stack, email, bot=stack.closed_bot)
    payload = report["metadata"]["event_payload"]
    assert payload["actions"] == "flush,resend_verification,resend_recovery,rerun"
    assert "MAILCHECK_OPERATOR_GROUP" in json.dumps(report["blocks"])  # the report says how to fix it
    kratos_posts = sum(method == "POST" for method, _ in stack.kratos.requests)
    runs = stack.control.runs
    for action in ("flush", "resend_verification", "resend_recovery"):
        press(stack.closed_bot, stack.slack, report, action, user=OPERATOR)
    replies = _payloads(_wait_outcomes(stack, _id(report), 3))
    assert [r["outcome"] for r in replies] == ["denied", "denied", "denied"]
    assert all("MAILCHECK_OPERATORS" in r["detail"] for r in replies)
    press(stack.closed_bot, stack.slack, report, "rerun", user=OPERATOR)  # reading is still allowed
    assert _payloads(_wait_outcomes(stack, _id(report), 4))[3]["outcome"] == "accepted"
    stack.slack.wait_for(lambda: _rerun_reports(stack, report["ts"]), OUTCOME_TIMEOUT)
    assert sum(method == "POST" for method, _ in stack.kratos.requests) == kratos_posts
    assert stack.control.runs == runs
    client = stack.redis.client()
    closed_jobs = [
        client.hget(key, "description").decode()
        for key in client.scan_iter("rq:job:action-*")
        if client.hget(key, "origin") == b"mailcheck-buttons-closed"
    ]
    assert closed_jobs and all(" rerun " in description for description in closed_jobs)


# ---- nothing leaks ------------------------------------------------------------------------------

_LINK = re.compile(r"self-service/(verification|recovery)\?\S*(flow|code|token)=")
_BODY_AND_SUBJECT = (
    "entering the following code",
    "Use code",
    "verify your account",
    "recover access",
    "This is a message from Ory Kratos",
    SUBJECT,
)


def test_nothing_secret_reaches_slack_or_the_logs(stack: Stack) -> None:
    """A full remediation run in dev mode (bodies carry codes), then every Slack payload and every
    log line of every bot and worker process of this module is searched."""
    email = unique_email("leak")
    stack.kratos.add_identity(email)
    stack.kratos.add_message(email, status="queued", age_s=600)
    report = _report(stack, email)
    stack.control.plan = FlushPlan(
        lines=[f"token {BOT_TOKEN}", f"smtp password {SMTP_PASSWORD}", f"key {PROVIDER_KEY}"]
    )
    assert [r["outcome"] for r in _press_and_wait(stack, report, "flush")] == ["accepted", "ok"]
    _delivered_at_provider(stack, email)
    stack.kratos.auto_courier = ("sent", 0.05)
    try:
        replies = _press_and_wait(stack, report, "resend_verification", count=4)
    finally:
        stack.kratos.auto_courier = None
    assert replies[3]["outcome"] == "ok"
    assert stack.kratos.issued_codes  # codes were made, and Kratos showed them to the worker

    slack_text = json.dumps([c.body for c in stack.slack.calls]) + json.dumps(stack.slack.hooks)
    logs = "\n".join(process.output() for process in stack.processes)
    assert "report" in logs and "resend_verification" in logs  # the logs were really written
    for where, text in (("slack", slack_text), ("logs", logs)):
        for code in stack.kratos.issued_codes:
            assert not re.search(rf"\b{code}\b", text), (where, "code")
        assert not _LINK.search(text), (where, "link")
        for fragment in _BODY_AND_SUBJECT:
            assert fragment not in text, (where, fragment)
        for secret in (
            SMTP_PASSWORD,
            quote(SMTP_PASSWORD),
            PROVIDER_KEY,
            BOT_TOKEN,
            SIGNING_SECRET,
            RESEND_WEBHOOK_SECRET,
        ):
            assert secret not in text, (where, secret[:6])
