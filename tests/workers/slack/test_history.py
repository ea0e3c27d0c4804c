"""`/mailcheck history` (SPEC §12, §16): the 20 newest entries the asker may see, whole; private
conversations' entries only where they were made; at most 200 kept; refused presses are no entries.
Real Redis and the Slack stand-in (for the permalinks)."""

from __future__ import annotations

import itertools
import time

import redis

from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.clients.history import MAX_KEPT, HistoryEntry, recall, remember
from workers.clients.store import StoredReport
from workers.core.settings import load_settings
from workers.report.model import Report, State
from workers.slack.api import SlackPoster, web_client
from workers.slack.audit import ActionEntry, AuditLog, Outcome
from workers.slack.history import recall_history, render_history

_ids = itertools.count(1)
DAYS = 30


def _email() -> str:
    return f"history{next(_ids)}@example.com"


def _entry(channel: str, ts: str, *, private: bool, at: float, verdict: str = "sent") -> HistoryEntry:
    report_id = f"h{next(_ids)}"
    return HistoryEntry(
        "report", report_id, channel, ts, "U0ASKER", at=at, verdict=verdict, state="complete", private=private
    )


def test_twenty_entries_are_shown_whole_and_the_rest_is_counted(redis_url: str, slack: SlackStandIn) -> None:
    connection, email, now = redis.Redis.from_url(redis_url), _email(), time.time()
    poster = SlackPoster(
        web_client(load_settings({"slack_bot_token": BOT_TOKEN, "slack_api_url": slack.api_url}))
    )
    for index in range(25):
        ts = poster.post("C0SUPPORT", text=f"report {index}")
        remember(connection, email, _entry("C0SUPPORT", ts, private=False, at=now - 100 + index), days=DAYS)
    history = recall_history(connection, poster, email, days=DAYS, asked_in="C0SUPPORT")
    assert len(history.listed) == 20 and history.older == 5
    answer = render_history(email, history, days=DAYS)
    entries = [b for b in answer["blocks"] if b["type"] == "section"][1:]
    assert len(entries) == 20
    assert all(b["text"]["text"].endswith("|open>") for b in entries)  # every link whole, none cut
    assert "5 older entries not shown" in str(answer["blocks"][-1])


def test_private_conversations_entries_are_shown_only_there(redis_url: str) -> None:
    connection, email, now = redis.Redis.from_url(redis_url), _email(), time.time()
    remember(connection, email, _entry("C0SUPPORT", "1.1", private=False, at=now - 3), days=DAYS)
    remember(
        connection,
        email,
        _entry("G0SECRET", "1.2", private=True, at=now - 2, verdict="no_identity"),
        days=DAYS,
    )
    remember(connection, email, _entry("D0AGENTDM", "1.3", private=True, at=now - 1), days=DAYS)

    elsewhere = recall_history(connection, None, email, days=DAYS, asked_in="C0OPS")
    assert [item.entry.channel for item in elsewhere.listed] == ["C0SUPPORT"]
    text = str(render_history(email, elsewhere, days=DAYS))
    assert "2 more in private conversations" in text and "G0SECRET" not in text and "U0ASKER" in text

    inside = recall_history(connection, None, email, days=DAYS, asked_in="G0SECRET")
    assert [item.entry.channel for item in inside.listed] == ["G0SECRET", "C0SUPPORT"]
    assert inside.private_elsewhere == 1
    terminal = recall_history(connection, None, email, days=DAYS, asked_in=None)  # mailcheck history
    assert len(terminal.listed) == 3


def test_at_most_two_hundred_entries_are_kept(redis_url: str) -> None:
    connection, email, now = redis.Redis.from_url(redis_url), _email(), time.time()
    for index in range(MAX_KEPT + 15):
        remember(
            connection,
            email,
            _entry("C0SUPPORT", f"2.{index}", private=False, at=now - 1000 + index),
            days=DAYS,
        )
    kept = recall(connection, email, days=DAYS)
    assert len(kept) == MAX_KEPT
    assert kept[-1].ts == "2.15"  # the oldest went first


def test_refused_presses_stay_in_the_thread_but_are_no_history_entries(
    redis_url: str, slack: SlackStandIn
) -> None:
    connection, email = redis.Redis.from_url(redis_url), _email()
    settings = load_settings(
        {"slack_bot_token": BOT_TOKEN, "slack_api_url": slack.api_url, "redis_url": redis_url}
    )
    poster = SlackPoster(web_client(settings))
    report = Report(f"h{next(_ids)}", email, state=State.COMPLETE, verdict="sent", actions=["rerun"])
    stored = StoredReport(report, "C0SUPPORT", poster.post("C0SUPPORT", text="r"), "U0ASKER", private=False)
    audit = AuditLog(poster, connection, settings)
    for outcome in (Outcome.DENIED, Outcome.DUPLICATE, Outcome.RATE_LIMITED, Outcome.ACCEPTED, Outcome.OK):
        audit.record(stored, ActionEntry(report.report_id, "resend_recovery", "U0PRESSER", outcome))
    replies = [m for m in slack.channel_messages("C0SUPPORT") if m["thread_ts"] == stored.ts]
    assert len(replies) == 5
    assert [entry.outcome for entry in recall(connection, email, days=DAYS)] == ["ok"]
