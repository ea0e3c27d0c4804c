"""`/mailcheck EMAIL` end to end: signed request → bot → Redis/RQ → real worker → report updated in place."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.helpers import payload, report_messages, run_command, unique_email, wait_for_report
from tests.processes import Process
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from workers.report.model import CHECK_NAMES

pytestmark = pytest.mark.usefixtures("worker")

AUTH_FAILED = "535 5.7.8 Authentication failed"
NO_SUCH_HOST = "dial tcp: lookup smtp.resend.com on 10.0.0.2:53: no such host"
X509 = "x509: certificate signed by unknown authority"
REJECTED = "gomail: could not send email 1: 550 5.7.1 Sender address rejected"
ODD = "no courier channels configured for: sms"


def test_parent_is_posted_running_then_updated_in_place(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn, redis_server: RedisServer
) -> None:
    email = unique_email("flow")
    kratos.add_identity(email, verified=False, status="sent")
    kratos.add_message(email, status="sent", age_s=300)

    response, _ = run_command(bot, slack, f"<mailto:{email.upper()}|{email.upper()}>", user="U0ASKER")

    assert response.status_code == 200

    def parent_posts() -> list[Any]:
        return [
            c
            for c in slack.calls_of("chat.postMessage")
            # other tests share this Slack: status and alert messages carry no email
            if (c.body.get("metadata") or {}).get("event_type") == "mailcheck_report"
            and c.body["metadata"]["event_payload"]["email"] == email
        ]

    posts = slack.wait_for(parent_posts)  # posted right after the ack, off the request thread
    assert len(posts) == 1
    first = posts[0].body
    assert first["metadata"]["event_type"] == "mailcheck_report"
    assert first["metadata"]["event_payload"]["state"] == "running"
    assert first["metadata"]["event_payload"]["verdict"] == ""
    assert "<@U0ASKER>" in json.dumps(first["blocks"])

    final = wait_for_report(slack, email)
    assert len(report_messages(slack, email)) == 1  # updated in place, not re-posted
    result = payload(final)
    assert result["verdict"] == "sent"
    assert set(result["checks"]) == set(CHECK_NAMES)
    assert result["checks"]["identity"] == "ok" and result["checks"]["courier"] == "ok"
    assert {"code": "address_unverified", "severity": "info"} in result["findings"]
    assert result["actions"] == "resend_verification,resend_recovery,rerun"

    stored = json.loads(redis_server.client().get(f"mailcheck:report:{result['report_id']}"))
    assert stored["report"]["verdict"] == "sent" and stored["ts"] == final["ts"]
    assert redis_server.client().ttl(f"mailcheck:report:{result['report_id']}") > 6 * 24 * 3600
    # Kratos was asked the way real Kratos needs: lower-cased exact recipient, explicit page size.
    listing = [
        path for _, path in kratos.requests if "/admin/courier/messages?" in path and quote(email) in path
    ]
    assert listing and all("page_size=" in path for path in listing)


@pytest.mark.parametrize(
    ("setup", "verdict", "findings"),
    [
        (lambda k, e: None, "no_identity", []),
        (lambda k, e: (k.add_identity(e), k.add_message(e, status="queued", age_s=600)), "courier_stuck", []),
        (
            lambda k, e: (k.add_identity(e), k.add_message(e, status="processing", age_s=600)),
            "courier_stuck",
            [],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(
                    e, status="abandoned", age_s=60, send_count=6, dispatches=[("failed", AUTH_FAILED)] * 2
                ),
            ),
            "smtp_auth_failed",
            ["courier_abandoned"],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(
                    e, status="queued", age_s=30, send_count=1, dispatches=[("failed", NO_SUCH_HOST)]
                ),
            ),
            "smtp_unreachable",
            ["courier_retrying"],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(e, status="abandoned", age_s=60, send_count=6, dispatches=[("failed", X509)]),
            ),
            "smtp_tls_failed",
            ["courier_abandoned"],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(
                    e, status="abandoned", age_s=60, send_count=6, dispatches=[("failed", REJECTED)]
                ),
            ),
            "smtp_rejected",
            ["courier_abandoned"],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(e, status="abandoned", age_s=60, send_count=6, dispatches=[("failed", ODD)]),
            ),
            "courier_failing",
            ["courier_abandoned"],
        ),
        (lambda k, e: (k.add_identity(e), k.add_message(e, status="queued", age_s=5)), "courier_pending", []),
        (lambda k, e: k.add_identity(e, verified=True, status="completed"), "already_verified", []),
        (lambda k, e: k.add_identity(e), "no_message", ["address_unverified"]),
        (
            lambda k, e: (k.add_identity(e, state="inactive"), k.add_message(e, status="sent", age_s=90)),
            "sent",
            ["identity_inactive"],
        ),
        # Only the newest message counts, and messages older than LOOKBACK_DAYS are not looked at.
        (
            lambda k, e: (
                k.add_identity(e, verified=True, status="completed"),
                k.add_message(e, status="abandoned", age_s=8 * 86400),
            ),
            "already_verified",
            [],
        ),
        (
            lambda k, e: (
                k.add_identity(e),
                k.add_message(e, status="abandoned", age_s=900),
                k.add_message(e, status="sent", age_s=60),
            ),
            "sent",
            [],
        ),
    ],
)
def test_verdicts_from_kratos(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn, setup, verdict: str, findings: list[str]
) -> None:
    email = unique_email(verdict)
    setup(kratos, email)
    response, _ = run_command(bot, slack, email)
    assert response.status_code == 200
    result = payload(wait_for_report(slack, email))
    assert result["state"] == "complete"
    assert result["verdict"] == verdict
    codes = {f["code"] for f in result["findings"]}
    assert set(findings) <= codes
    assert result["spam_risk"] in ("unknown", "low", "medium", "high")


def test_kratos_down_makes_identity_and_courier_error_not_the_report(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    email = unique_email("kratos-down")
    kratos.fail_with = 503
    try:
        run_command(bot, slack, email)
        result = payload(wait_for_report(slack, email))
    finally:
        kratos.fail_with = None
    assert result["checks"]["identity"] == "error" and result["checks"]["courier"] == "error"
    assert result["verdict"] == "unknown"
    assert result["actions"] == "rerun"


def test_message_bodies_never_reach_slack(bot: str, slack: SlackStandIn, kratos: KratosStandIn) -> None:
    email = unique_email("redaction")
    kratos.add_identity(email)
    kratos.add_message(email, status="sent", age_s=10)
    kratos.dev_mode = True  # Kratos --dev: bodies and subjects are returned unredacted
    try:
        run_command(bot, slack, email)
        final = wait_for_report(slack, email)
    finally:
        kratos.dev_mode = False
    posted = json.dumps([c.body for c in slack.calls if email in json.dumps(c.body)])
    assert payload(final)["verdict"] == "sent"
    assert "redacted-unless-dev-mode" not in posted
    for code in kratos.issued_codes:
        assert code not in posted


def test_valid_command_acks_with_no_channel_noise(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    email = unique_email("ack")
    started = time.monotonic()
    response, hook = run_command(bot, slack, email)
    assert response.status_code == 200 and response.text == ""
    assert time.monotonic() - started < 3  # Slack's hard ack window, not a performance target
    wait_for_report(slack, email)
    assert slack.hooks_for(hook) == []


def test_redis_reachable_in_healthz_and_metrics_exposed(bot: str, slack: SlackStandIn) -> None:
    import httpx

    health = httpx.get(f"{bot}/healthz")
    body = health.json()
    assert (
        health.status_code == 200 and body["ok"] is True and body["redis"] == "ok" and body["socket"] == "n/a"
    )
    assert isinstance(body["workers"], int) and isinstance(
        body["queued"], int
    )  # exact: tests/bot/test_health_and_metrics.py
    run_command(bot, slack, "help")
    metrics = httpx.get(f"{bot}/metrics").text
    assert 'mailcheck_commands_total{kind="help"}' in metrics
    assert "mailcheck_ack_seconds_bucket" in metrics


def test_jobs_carry_plain_data_only(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn, redis_server: RedisServer
) -> None:
    email = unique_email("jobdata")
    run_command(bot, slack, email)
    result = payload(wait_for_report(slack, email))
    raw = redis_server.client().hget(f"rq:job:report-{result['report_id']}", "data")
    assert raw is not None
    text = zlib.decompress(raw).decode()  # RQ compresses the serialized call
    data = json.loads(text)  # the JSON serializer: readable plain data, no pickles
    assert data[0] == "workers.jobs.report.run_report"
    assert data[3] == {
        "report_id": result["report_id"],
        "email": email,
        "channel": "C0SUPPORT",
        "ts": "",  # enqueued before the parent is posted: the job finds its ts in Redis
        "requester": "U0AGENT",
        "thread_ts": "",
        "parent_pending": True,
    }
    assert "xoxb" not in text
    stored = json.loads(redis_server.client().get(f"mailcheck:report:{result['report_id']}") or "{}")
    assert stored["ts"] == report_messages(slack, email)[0]["ts"]


def test_worker_logs_are_json_lines_correlated_by_report(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn, worker: Process
) -> None:
    email = unique_email("logs")
    kratos.add_identity(email)
    run_command(bot, slack, email)
    report_id = payload(wait_for_report(slack, email))["report_id"]

    def lines() -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
        return [line for line in parsed if line.get("report_id") == report_id]

    correlated = slack.wait_for(lambda: [line for line in lines() if "complete" in line["msg"]])
    assert correlated[0]["level"] == "info"
    assert all(line.startswith("{") for line in worker.output().splitlines() if line.strip())


def test_a_dispatch_error_is_explained_in_slack_and_the_user_told_to_check_the_spelling(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn, redis_server: RedisServer
) -> None:
    """SPEC §15 end to end: Kratos's relay refused the recipient; the report says what that means."""
    email = unique_email("unknown-user")
    kratos.add_identity(email)
    error = f"550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox table"
    kratos.add_message(email, status="abandoned", age_s=60, send_count=5, dispatches=[("failed", error)])
    run_command(bot, slack, email)
    final = wait_for_report(slack, email)
    assert payload(final)["verdict"] == "smtp_rejected"
    blocks = json.dumps(final["blocks"], ensure_ascii=False)
    assert "↳ invalid_recipient — the address does not exist (the user's side): " in blocks
    assert "The address does not exist at example.com — please check the spelling" in blocks
    stored = json.loads(redis_server.client().get(f"mailcheck:report:{payload(final)['report_id']}"))
    courier = stored["report"]["checks"]["courier"]["details"]
    assert (courier["category"], courier["side"], courier["mailbox_provider"]) == (
        "invalid_recipient",
        "recipient",
        "",
    )
    assert courier["newest"]["dispatches"][0]["category"] == "invalid_recipient"
