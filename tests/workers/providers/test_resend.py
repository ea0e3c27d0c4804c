"""Resend through its real HTTP shapes: list paging, last_event, webhook detail, suppressions."""

from __future__ import annotations

from datetime import timedelta

import redis

from tests.standins.providers import SUBJECT, ResendStandIn
from tests.workers.providers.support import EMAIL, KEYS, NOW, assert_clean, codes, run_check, run_removal
from workers.providers import resend, resend_traffic
from workers.providers.base import RemovalOutcome
from workers.providers.resend_webhook import store_event
from workers.report.model import Status

KEY = KEYS["resend"]


def bounced_webhook(email_id: str, bounce_type: str, diagnostic: str) -> dict[str, object]:
    return {
        "type": "email.bounced",
        "created_at": "2026-11-20T10:00:07.000Z",
        "data": {
            "email_id": email_id,
            "created_at": "2026-11-20T10:00:00.000Z",
            "from": "Acme <no-reply@acme.test>",
            "to": [EMAIL],
            "subject": SUBJECT,
            "bounce": {
                "type": bounce_type,
                "subType": "General",
                "message": "hard bounce",
                "diagnosticCode": [diagnostic],
            },
        },
    }


def test_delivered_message_is_ok_with_dashboard_link() -> None:
    with ResendStandIn(KEY) as api:
        api.add_email("e-other", "someone@else.test", "2026-11-20 11:00:00.1+00")
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00.674981+00", "delivered")
        result = run_check("resend", api.url)
        assert api.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert result.status is Status.OK
    assert result.details["provider"] == "resend"
    assert [m["id"] for m in result.details["messages"]] == ["e-1"]
    newest = result.details["newest"]
    assert newest["outcome"] == "delivered"
    assert newest["dashboard_url"] == "https://resend.com/emails/e-1"
    assert newest["sent_at"] == "2026-11-20T10:00:00.674981Z"
    assert result.details["suppressed"] is False and result.details["suppression"] is None
    assert result.findings == ()
    assert_clean(result, "resend")


def test_hard_bounce_takes_the_smtp_reply_from_stored_webhooks(
    redis_url: str, sync_redis: redis.Redis
) -> None:
    store_event(sync_redis, bounced_webhook("e-1", "Permanent", "smtp; 550 5.1.1 user unknown"), ttl=600)
    with ResendStandIn(KEY) as api:
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00+00", "bounced")
        result = run_check("resend", api.url, cache_url=redis_url)
    assert result.status is Status.FAIL
    assert result.details["newest"]["outcome"] == "bounced_hard"
    assert result.details["decisive"] == "550 5.1.1 user unknown"
    assert codes(result) == {"provider_bounce_hard": "fail"}
    assert "550 5.1.1 user unknown" in result.summary
    types = [e["type"] for e in result.details["newest"]["events"]]
    assert types == ["sent", "bounced_hard"]  # the list's own "bounced" is not counted twice
    assert_clean(result, "resend")


def test_transient_bounce_from_webhook_is_a_soft_bounce(redis_url: str, sync_redis: redis.Redis) -> None:
    store_event(sync_redis, bounced_webhook("e-1", "Transient", "smtp; 452 4.2.2 mailbox full"), ttl=600)
    with ResendStandIn(KEY) as api:
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00+00", "bounced")
        result = run_check("resend", api.url, cache_url=redis_url)
    assert result.status is Status.WARN
    assert codes(result) == {"provider_bounce_soft": "warn"}
    assert result.details["decisive"] == "452 4.2.2 mailbox full"


def test_bounce_without_webhooks_says_how_to_get_details() -> None:
    with ResendStandIn(KEY) as api:
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00+00", "bounced")
        result = run_check("resend", api.url)
    assert result.status is Status.FAIL
    assert result.details["decisive"] is None
    assert [e["type"] for e in result.details["newest"]["events"]] == ["sent", "bounced_hard"]
    assert any("RESEND_WEBHOOK_SECRET" in note for note in result.details["notes"])


def test_delivery_delayed_is_deferred_and_complaint_is_a_warning() -> None:
    with ResendStandIn(KEY) as api:
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00+00", "delivery_delayed")
        deferred = run_check("resend", api.url)
        api.add_email("e-2", EMAIL, "2026-11-20 11:00:00+00", "complained")
        complained = run_check("resend", api.url)
    assert deferred.status is Status.WARN and codes(deferred) == {"provider_deferred": "warn"}
    assert complained.status is Status.WARN and codes(complained) == {"provider_complaint": "warn"}
    assert complained.details["newest"]["id"] == "e-2"


def test_suppressed_recipient_is_a_fail_and_removable() -> None:
    with ResendStandIn(KEY) as api:
        api.add_email("e-1", EMAIL, "2026-11-20 10:00:00+00", "suppressed")
        api.suppress(EMAIL, "bounce", "2026-11-02 23:47:56.678+00")
        result = run_check("resend", api.url)
        removal = run_removal("resend", api.url)
        again = run_removal("resend", api.url)
        assert api.paths("DELETE") == [f"/suppressions/{EMAIL}"] * 2
    assert result.status is Status.FAIL
    assert result.details["suppressed"] is True
    assert result.details["suppression"] == {
        "reason": "bounce",
        "since": "2026-11-02T23:47:56.678000Z",
        "removable": True,
    }
    assert codes(result) == {"provider_suppressed": "fail"}
    assert removal.outcome is RemovalOutcome.REMOVED and removal.ok
    assert again.outcome is RemovalOutcome.NOT_SUPPRESSED


def test_paging_stops_at_the_look_back_window() -> None:
    with ResendStandIn(KEY) as api:
        for n in range(250):  # one email an hour back from NOW: the 7-day window ends inside page 2
            to = EMAIL if n % 50 == 0 else f"other{n}@example.net"
            api.add_email(f"e-{n:03}", to, (NOW - timedelta(hours=n)).isoformat())
        result = run_check("resend", api.url)
        listed = [r for r in api.requests if r.path == "/emails"]
        last_of_first_page = api.emails[resend.PAGE_SIZE - 1]["id"]
    # The 7-day scan reads 2 pages (page 3 exists but is older than the window); the 24-hour aggregate
    # reads the first page alone.
    assert len(listed) == 3
    assert sorted(r.query.get("after", "") for r in listed) == ["", "", last_of_first_page]
    assert [m["id"] for m in result.details["messages"]] == ["e-000", "e-050", "e-100", "e-150"]
    assert result.details["notes"] == []


def test_paging_stops_at_the_page_cap() -> None:
    with ResendStandIn(KEY) as api:
        for n in range(resend.PAGE_CAP * resend.PAGE_SIZE + 50):  # all inside the window
            api.add_email(f"e-{n:05}", f"other{n}@example.net", f"2026-11-20T{n % 10:02}:00:00.{n:06}Z")
        result = run_check("resend", api.url)
        listed = [r for r in api.requests if r.path == "/emails"]
    assert len(listed) == resend.PAGE_CAP + resend_traffic.PAGE_CAP  # the 7-day scan and the aggregate
    assert all(r.query["limit"] == str(resend.PAGE_SIZE) for r in listed)
    assert result.status is Status.OK
    assert result.details["messages"] == []
    assert any("scan stopped after 1000 emails" in note for note in result.details["notes"])
    assert any("scan stopped after 500 emails of the last 24 h" in n for n in result.details["notes"])
    assert result.details["mailbox_provider"]["capped"] is True
    assert "no message" in result.summary
