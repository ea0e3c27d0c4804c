"""Postmark through its real HTTP shapes: message search, timelines, Bounce API, suppression dump."""

from __future__ import annotations

from tests.standins.providers import PostmarkStandIn
from tests.workers.providers.support import EMAIL, KEYS, assert_clean, codes, only, run_check, run_removal
from workers.providers import postmark
from workers.providers.base import RemovalOutcome
from workers.report.model import Status

TOKEN = KEYS["postmark"]
GMAIL = "gmail-smtp-in.l.google.com"


def test_delivered_message_with_reply_and_dashboard_link() -> None:
    with PostmarkStandIn(TOKEN, server_id=777) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T05:00:00-05:00")
        api.add_event(
            "m-1",
            "Delivered",
            "2026-11-20T05:00:03-05:00",
            EMAIL,
            DeliveryMessage="smtp;250 2.0.0 OK 1763632803",
            DestinationServer=GMAIL,
        )
        result = run_check("postmark", api.url)
        searches = [r for r in api.requests if r.path == "/messages/outbound"]
        search = next(r for r in searches if "@" in r.query.get("recipient", "@")[1:])  # not the 24-h counts
        server_calls = [r for r in api.requests if not r.path.startswith("/domains")]
        assert {r.headers["x-postmark-server-token"] for r in server_calls} == {TOKEN}
    assert search.query["recipient"] == EMAIL and search.query["messagestream"] == "outbound"
    assert result.status is Status.OK
    newest = result.details["newest"]
    assert newest["outcome"] == "delivered"
    assert newest["sent_at"] == "2026-11-20T10:00:00Z"
    delivered = newest["events"][-1]
    assert {k: delivered[k] for k in ("type", "at", "reply")} == {
        "type": "delivered",
        "at": "2026-11-20T10:00:03Z",
        "reply": f"250 2.0.0 OK 1763632803 at {GMAIL}",
    }
    assert delivered["mailbox_provider"] == "google"  # every reply is explained (SPEC §15)
    assert {"category", "side", "meaning"} <= delivered.keys()
    assert (
        newest["dashboard_url"] == "https://account.postmarkapp.com/servers/777/streams/outbound/messages/m-1"
    )
    assert_clean(result, "postmark")


def test_hard_bounce_surfaces_the_bounce_api_reply_and_the_suppression() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.add_event(
            "m-1", "Bounced", "2026-11-20T10:00:05Z", EMAIL, BounceID="3719", Summary="unknown user"
        )
        api.add_bounce(
            3719,
            "m-1",
            EMAIL,
            "HardBounce",
            "2026-11-20T10:00:05Z",
            "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        )
        api.suppress(EMAIL, "HardBounce", "2026-11-20T10:00:06Z")
        result = run_check("postmark", api.url)
    assert result.status is Status.FAIL
    assert codes(result) == {"provider_suppressed": "fail", "provider_bounce_hard": "fail"}
    assert result.details["decisive"] == "550 5.1.1 The email account that you tried to reach does not exist."
    assert result.details["suppression"] == {
        "reason": "HardBounce",
        "since": "2026-11-20T10:00:06Z",
        "removable": True,
    }
    assert [e["type"] for e in result.details["newest"]["events"]] == ["sent", "bounced_hard"]
    assert_clean(result, "postmark")


def test_transient_event_is_deferred_with_the_receiving_servers_words() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.add_event(
            "m-1",
            "Transient",
            "2026-11-20T10:00:05Z",
            EMAIL,
            DeliveryMessage="421 4.7.0 Try again later",
            DestinationServer=GMAIL,
        )
        api.add_event("m-1", "Delivered", "2026-11-20T10:00:05Z", "cc@example.org", DeliveryMessage="250 ok")
        result = run_check("postmark", api.url)
    assert result.status is Status.WARN
    assert codes(result) == {"provider_deferred": "warn"}
    assert result.details["decisive"] == f"421 4.7.0 Try again later at {GMAIL}"


def test_soft_bounce_type_from_the_bounce_api_is_a_deferral() -> None:
    """SPEC §15: Postmark's SoftBounce is a temporary failure, recorded while it retries."""
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.add_event("m-1", "Bounced", "2026-11-20T11:00:00Z", EMAIL, BounceID=12)
        api.add_bounce(
            12,
            "m-1",
            EMAIL,
            "SoftBounce",
            "2026-11-20T11:00:00Z",
            "smtp;452 4.2.2 Mailbox full",
            inactive=False,
        )
        result = run_check("postmark", api.url)
    assert codes(result) == {"provider_deferred": "warn"}
    assert result.details["newest"]["outcome"] == "deferred"
    assert result.details["decisive"] == "452 4.2.2 Mailbox full"


def test_spam_complaint_suppression_is_not_removable() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-19T10:00:00Z")
        api.add_bounce(55, "m-1", EMAIL, "SpamComplaint", "2026-11-19T12:00:00Z", "")
        api.suppress(EMAIL, "SpamComplaint", "2026-11-19T12:00:00Z")
        result = run_check("postmark", api.url)
        removal = run_removal("postmark", api.url)
        after = run_check("postmark", api.url)
    assert result.status is Status.FAIL
    assert result.details["suppression"]["removable"] is False
    assert codes(result) == {"provider_suppressed": "fail", "provider_complaint": "warn"}
    assert "does not allow lifting" in result.summary
    assert removal.outcome is RemovalOutcome.REFUSED
    assert after.details["suppressed"] is True


def test_hard_bounce_suppression_can_be_lifted() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.suppress(EMAIL, "HardBounce", "2026-11-01T10:00:00Z")
        removal = run_removal("postmark", api.url)
        result = run_check("postmark", api.url)
        delete = next(r for r in api.requests if r.method == "POST")
    assert delete.path == "/message-streams/outbound/suppressions/delete"
    assert delete.body == {"Suppressions": [{"EmailAddress": EMAIL}]}
    assert removal.outcome is RemovalOutcome.REMOVED
    assert result.status is Status.OK and result.details["suppressed"] is False
    assert "no message" in result.summary


def test_older_messages_get_their_bounces_without_a_timeline_request() -> None:
    with PostmarkStandIn(TOKEN) as api:
        for n in range(postmark.DETAILED_MESSAGES + 2):
            api.add_message(f"m-{n}", EMAIL, f"2026-11-19T{10 - n:02}:00:00Z")
        api.add_bounce(9, "m-6", EMAIL, "HardBounce", "2026-11-19T04:00:09Z", "smtp;550 5.1.1 gone")
        result = run_check("postmark", api.url)
        timelines = [p for p in api.paths() if p.endswith("/details")]
    assert len(timelines) == postmark.DETAILED_MESSAGES
    assert result.status is Status.OK  # the newest message is fine
    old = only(result.details["messages"], "m-6")
    assert old["outcome"] == "bounced_hard" and old["reply"] == "550 5.1.1 gone"


def test_a_failing_server_lookup_only_costs_the_dashboard_link() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.fail(500, times=5, path="/server")
        result = run_check("postmark", api.url)
    assert result.status is Status.OK
    assert result.details["newest"]["dashboard_url"] is None
