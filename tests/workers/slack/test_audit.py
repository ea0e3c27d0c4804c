"""The audit replies: `mailcheck_action` metadata, escaping, scrubbing, and the report's last-action line."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn, metadata_problem
from workers.clients.store import StoredReport
from workers.core.settings import load_settings
from workers.report.model import Report, State
from workers.slack.api import SlackPoster, web_client
from workers.slack.audit import ActionEntry, AuditLog, Outcome, last_action_line, render_action_reply
from workers.slack.errors import SlackError

_ids = itertools.count(1)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_reply_carries_flat_string_metadata(outcome: Outcome) -> None:
    entry = ActionEntry("r1", "resend_recovery", "U0OP", outcome, "detail <b>", output="line 1\nline 2")
    reply = render_action_reply(entry)
    metadata = reply["metadata"]
    assert metadata["event_type"] == "mailcheck_action"
    assert metadata_problem(metadata) is None
    payload = metadata["event_payload"]
    assert set(payload) == {"report_id", "action", "actor", "outcome", "detail"}
    assert all(isinstance(value, str) for value in payload.values())
    assert payload["outcome"] == outcome.value and payload["action"] == "resend_recovery"
    assert payload["detail"] == "detail <b>\nline 1\nline 2"
    text = json.dumps(reply["blocks"])
    assert "<@U0OP>" in text and "Send recovery" in text and "&lt;b&gt;" in text and "<!date^" in text
    assert reply["text"]


def test_last_action_line_says_what_who_and_how_it_ended() -> None:
    line = last_action_line(ActionEntry("r1", "flush", "U0OP", Outcome.TIMED_OUT))
    assert "Flush courier" in line and "<@U0OP>" in line and "timed_out" in line


def _stored(slack: SlackStandIn, poster: SlackPoster, *, thread: bool) -> StoredReport:
    report = Report(
        f"audit{next(_ids)}",
        "user@example.com",
        state=State.COMPLETE,
        verdict="sent",
        actions=["flush", "rerun"],
    )
    parent = poster.post("C0SUPPORT", text="parent")
    if not thread:
        return StoredReport(report, channel="C0SUPPORT", ts=parent, requester="U0ASKER")
    rerun = poster.post("C0SUPPORT", text="re-run", thread_ts=parent)
    return StoredReport(report, channel="C0SUPPORT", ts=rerun, requester="U0ASKER", thread_ts=parent)


@pytest.mark.parametrize("thread", [False, True])
def test_record_posts_in_the_report_thread_and_updates_the_report(
    slack: SlackStandIn, redis_server: RedisServer, thread: bool
) -> None:
    settings = load_settings(
        {
            "slack_bot_token": BOT_TOKEN,
            "slack_api_url": slack.api_url,
            "mail_provider_api_key": "k-secret-123",
        }
    )
    poster = SlackPoster(web_client(settings))
    stored = _stored(slack, poster, thread=thread)
    audit = AuditLog(poster, redis_server.client(), settings)
    entry = ActionEntry(stored.report.report_id, "flush", "U0OP", Outcome.FAILED, "API said k-secret-123")
    audit.record(stored, entry)

    root = stored.thread_ts or stored.ts
    replies = [
        m
        for m in slack.channel_messages("C0SUPPORT")
        if (m["metadata"] or {}).get("event_type") == "mailcheck_action" and m["thread_ts"] == root
    ]
    assert len(replies) == 1
    assert replies[0]["metadata"]["event_payload"]["detail"] == "API said [secret]"
    report_message = slack.message("C0SUPPORT", stored.ts)
    assert report_message["edits"] == 1
    assert "last action" in json.dumps(report_message["blocks"]) and "<@U0OP>" in json.dumps(
        report_message["blocks"]
    )
    assert report_message["metadata"]["event_type"] == "mailcheck_report"
    last = audit.last(stored.report.report_id)
    assert last is not None and last.outcome is Outcome.FAILED and last.detail == "API said [secret]"


def test_record_without_reply_only_updates_the_report(slack: SlackStandIn, redis_server: RedisServer) -> None:
    settings = load_settings({"slack_bot_token": BOT_TOKEN, "slack_api_url": slack.api_url})
    poster = SlackPoster(web_client(settings))
    stored = _stored(slack, poster, thread=False)
    before = len(slack.calls_of("chat.postMessage"))
    AuditLog(poster, redis_server.client(), settings).record(
        stored, ActionEntry(stored.report.report_id, "rerun", "U0OP", Outcome.OK), reply=False
    )
    assert len(slack.calls_of("chat.postMessage")) == before
    assert slack.message("C0SUPPORT", stored.ts)["edits"] == 1


def test_a_reply_slack_refuses_raises(slack: SlackStandIn, redis_server: RedisServer) -> None:
    settings = load_settings({"slack_bot_token": BOT_TOKEN, "slack_api_url": slack.api_url})
    poster = SlackPoster(web_client(settings))
    stored = StoredReport(
        Report("gone1", "user@example.com"), channel="C0LOCKED", ts="1.1", requester="U0ASKER"
    )
    slack.not_in_channel.add("C0LOCKED")
    with pytest.raises(SlackError):
        AuditLog(poster, redis_server.client(), settings).record(
            stored, ActionEntry("gone1", "flush", "U0OP", Outcome.DENIED)
        )
