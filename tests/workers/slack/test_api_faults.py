"""The one Slack choke point under transport faults (SPEC §16), against the real Slack stand-in: every
failure is a SlackError, and a post whose answer was lost appears exactly once, found again by its
metadata or posted again."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import WebClient

from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.slack.api import SlackPoster
from workers.slack.errors import SlackError

_channels = itertools.count(1)
TIMEOUT_S = 1


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    yield server
    server.stop()


def _poster(standin: SlackStandIn) -> SlackPoster:
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url, timeout=TIMEOUT_S)
    client.retry_handlers = [RateLimitErrorRetryHandler(max_retry_count=3)]
    return SlackPoster(client)


def _meta(report_id: str) -> dict[str, object]:
    return {"event_type": "mailcheck_report", "event_payload": {"report_id": report_id, "state": "running"}}


FAULTS = {
    "timeout_after_landing": lambda s, m: s.hang_after(m, 1, seconds=TIMEOUT_S + 1),
    "dropped_after_landing": lambda s, m: s.drop_after(m, 1),
    "reset_before": lambda s, m: s.reset_before(m, 1),
    "http_500_landed": lambda s, m: s.http_error(m, 1, status=500, landed=True),
    "http_500": lambda s, m: s.http_error(m, 1, status=500),
    "429": lambda s, m: s.rate_limit(m, 1, retry_after=1),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_post_whose_answer_is_lost_appears_exactly_once(standin: SlackStandIn, fault: str) -> None:
    channel = f"C0FAULT{next(_channels)}"
    FAULTS[fault](standin, "chat.postMessage")
    ts = _poster(standin).post(channel, text="report", metadata=_meta("r1"))
    [message] = standin.channel_messages(channel)
    assert message["ts"] == ts and message["metadata"]["event_payload"]["report_id"] == "r1"


@pytest.mark.parametrize("fault", ["timeout_after_landing", "dropped_after_landing", "reset_before"])
def test_a_thread_reply_is_reconciled_in_its_thread_not_with_its_parent(
    standin: SlackStandIn, fault: str
) -> None:
    channel, poster = f"C0FAULT{next(_channels)}", _poster(standin)
    meta = {"event_type": "mailcheck_alert", "event_payload": {"alert_id": "alert-1", "count": 1}}
    parent = poster.post(channel, text="alert", metadata=meta)
    FAULTS[fault](standin, "chat.postMessage")
    reply = poster.post(channel, text="state change", metadata=meta, thread_ts=parent)  # same payload
    replies = [m for m in standin.channel_messages(channel) if m["thread_ts"] == parent]
    assert [m["ts"] for m in replies] == [reply] and reply != parent


def test_a_conversation_whose_history_cannot_be_read_gets_the_post_again(standin: SlackStandIn) -> None:
    """A DM (no im:history): the loss cannot be reconciled, so the post is made again: never zero."""
    channel = f"D0FAULT{next(_channels)}"
    standin.history_denied.add(channel)
    standin.reset_before("chat.postMessage", 1)
    _poster(standin).post(channel, text="report", metadata=_meta("r2"))
    assert len(standin.channel_messages(channel)) == 1


@pytest.mark.parametrize("fault", ["timeout_after_landing", "reset_before", "http_500"])
def test_every_transport_failure_of_other_methods_is_a_transient_slack_error(
    standin: SlackStandIn, fault: str
) -> None:
    channel, poster = f"C0FAULT{next(_channels)}", _poster(standin)
    ts = poster.post(channel, text="report")
    FAULTS[fault](standin, "chat.update")
    with pytest.raises(SlackError) as caught:
        poster.update(channel, ts, text="edited", blocks=[])
    assert caught.value.transient and caught.value.method == "chat.update"
    assert BOT_TOKEN not in str(caught.value)


def test_a_post_without_metadata_is_not_guessed(standin: SlackStandIn) -> None:
    """Nothing to find it by: the caller is told, and decides."""
    channel = f"C0FAULT{next(_channels)}"
    standin.drop_after("chat.postMessage", 1)
    with pytest.raises(SlackError) as caught:
        _poster(standin).post(channel, text="plain")
    assert caught.value.unanswered and caught.value.error == "connection_reset"
    assert len(standin.channel_messages(channel)) == 1


def test_slack_unreachable_is_a_slack_error_too() -> None:
    client = WebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/", timeout=TIMEOUT_S)
    with pytest.raises(SlackError) as caught:
        SlackPoster(client).post("C0X", text="x", metadata=_meta("r3"))
    assert caught.value.error == "connection_refused" and not caught.value.unanswered
