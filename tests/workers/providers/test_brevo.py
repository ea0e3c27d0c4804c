"""Brevo through its real HTTP shapes: the event report by recipient and the paged blocklist."""

from __future__ import annotations

from tests.standins.providers import BrevoStandIn
from tests.workers.providers.support import EMAIL, KEYS, assert_clean, codes, run_check, run_removal
from workers.providers import brevo
from workers.providers.base import RemovalOutcome
from workers.report.model import Status

KEY = KEYS["brevo"]
MID = "<202611201000.12345678901@smtp-relay.mailin.fr>"


def test_deferred_then_delivered_is_delivered() -> None:
    with BrevoStandIn(KEY) as api:
        api.add_event(MID, EMAIL, "requests", "2026-11-20T11:00:00.000+01:00")
        api.add_event(MID, EMAIL, "deferred", "2026-11-20T11:00:05.000+01:00", "421 4.7.0 try later")
        api.add_event(MID, EMAIL, "delivered", "2026-11-20T11:05:00.000+01:00")
        api.add_event("<other@x>", "other@example.net", "hardBounces", "2026-11-20T11:00:00.000+01:00", "550")
        result = run_check("brevo", api.url)
        events_call = next(r for r in api.requests if r.query.get("email"))  # the recipient's own query
        assert {r.headers["api-key"] for r in api.requests} == {KEY}
    assert events_call.query["email"] == EMAIL
    assert (events_call.query["startDate"], events_call.query["endDate"]) == ("2026-11-13", "2026-11-21")
    assert result.status is Status.OK
    newest = result.details["newest"]
    assert newest["id"] == MID and newest["outcome"] == "delivered"
    assert [e["type"] for e in newest["events"]] == ["sent", "deferred", "delivered"]
    assert newest["sent_at"] == "2026-11-20T10:00:00Z"
    assert newest["dashboard_url"] is None
    assert_clean(result, "brevo")


def test_hard_bounce_and_blocklist_entry() -> None:
    with BrevoStandIn(KEY) as api:
        api.add_event(MID, EMAIL, "requests", "2026-11-20T10:00:00Z")
        api.add_event(
            MID,
            EMAIL,
            "hardBounces",
            "2026-11-20T10:00:04Z",
            "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown",
        )
        api.block(EMAIL, "hardBounce", "2026-11-20T10:00:05Z")
        result = run_check("brevo", api.url)
    assert result.status is Status.FAIL
    assert codes(result) == {"provider_suppressed": "fail", "provider_bounce_hard": "fail"}
    assert result.details["decisive"].startswith("550 5.1.1")
    assert result.details["suppression"] == {
        "reason": "hardBounce",
        "since": "2026-11-20T10:00:05Z",
        "removable": True,
    }


def test_soft_bounce_is_a_deferral_and_complaint() -> None:
    with BrevoStandIn(KEY) as api:
        api.add_event(MID, EMAIL, "softBounces", "2026-11-20T10:00:04Z", "452 4.2.2 mailbox full")
        soft = run_check("brevo", api.url)
        api.add_event("<m2@x>", EMAIL, "delivered", "2026-11-20T11:00:00Z")
        api.add_event("<m2@x>", EMAIL, "spam", "2026-11-20T11:30:00Z")
        spam = run_check("brevo", api.url)
    # Brevo's softBounces are its temporary failures: a deferral, never a bounce (SPEC §15).
    assert soft.status is Status.WARN and codes(soft) == {"provider_deferred": "warn"}
    assert soft.details["newest"]["outcome"] == "deferred"
    assert spam.status is Status.WARN and codes(spam) == {"provider_complaint": "warn"}


def test_blocked_event_marks_the_message_suppressed_even_when_unblocked_since() -> None:
    with BrevoStandIn(KEY) as api:
        api.add_event(MID, EMAIL, "blocked", "2026-11-20T10:00:00Z")
        result = run_check("brevo", api.url)
    assert result.status is Status.FAIL
    assert result.details["newest"]["outcome"] == "suppressed"
    assert result.details["suppressed"] is False  # the complete blocklist no longer has it
    assert codes(result) == {"provider_suppressed": "fail"}


def test_blocklist_scan_cap_falls_back_to_blocked_events() -> None:
    with BrevoStandIn(KEY) as api:
        for n in range(brevo.BLOCKED_PAGE_CAP * brevo.BLOCKED_PAGE_SIZE + 1):
            api.block(f"other{n}@example.net", "adminBlocked", f"2026-11-19T10:00:00.{n:06}Z")
        api.add_event(MID, EMAIL, "blocked", "2026-11-20T10:00:00Z")
        result = run_check("brevo", api.url)
        pages = [r for r in api.requests if r.path == "/smtp/blockedContacts"]
    assert len(pages) == brevo.BLOCKED_PAGE_CAP
    assert result.details["suppression"] == {
        "reason": "blocked",
        "since": "2026-11-20T10:00:00Z",
        "removable": True,
    }
    assert any("blocklist scan stopped" in note for note in result.details["notes"])


def test_unblock() -> None:
    with BrevoStandIn(KEY) as api:
        api.block(EMAIL, "hardBounce", "2026-11-20T10:00:05Z")
        removal = run_removal("brevo", api.url)
        again = run_removal("brevo", api.url)
        assert api.paths("DELETE") == [f"/smtp/blockedContacts/{EMAIL}"] * 2
    assert removal.outcome is RemovalOutcome.REMOVED
    assert again.outcome is RemovalOutcome.NOT_SUPPRESSED


def test_hourly_budget_spent_is_a_rate_limit_error() -> None:
    with BrevoStandIn(KEY) as api:
        # Brevo names the wait in its own reset header; an hourly budget does not fit in a check. The
        # budget is the account's: the 24-hour aggregate's event queries meet it too.
        api.rate_limit(
            times=10, retry_after=None, path="/smtp/statistics/events", x_sib_ratelimit_reset="3000"
        )
        result = run_check("brevo", api.url, timeout=3)
    assert result.status is Status.ERROR
    assert result.summary == "Brevo API rate limit reached (retry in 3000 s)"
    assert result.details["error"] == "rate_limited"
