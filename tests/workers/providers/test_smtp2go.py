"""SMTP2GO through its real HTTP shapes: POST /activity/search and the suppression endpoints."""

from __future__ import annotations

from tests.standins.providers import Smtp2goStandIn
from tests.workers.providers.support import EMAIL, KEYS, assert_clean, codes, run_check, run_removal
from workers.providers import smtp2go
from workers.providers.base import RemovalOutcome
from workers.report.model import Status

KEY = KEYS["smtp2go"]


def test_delivered_with_the_receiving_servers_reply() -> None:
    with Smtp2goStandIn(KEY) as api:
        api.add_event("1u0S-a", EMAIL, "processed", "2026-11-20T09:07:01Z")
        api.add_event(
            "1u0S-a", EMAIL, "delivered", "2026-11-20T09:07:03Z", "250 Message received", "142.250.0.27"
        )
        result = run_check("smtp2go", api.url)
        search = next(r for r in api.requests if r.body.get("search_recipient"))
        assert {r.headers["x-smtp2go-api-key"] for r in api.requests} == {KEY}
        assert all(r.method == "POST" for r in api.requests)
    assert search.body["search_recipient"] == EMAIL and "api_key" not in search.body
    assert result.status is Status.OK
    assert result.details["decisive"] == "250 Message received at 142.250.0.27"
    assert_clean(result, "smtp2go")


def test_hard_bounce_is_a_fail_with_the_decisive_reply() -> None:
    with Smtp2goStandIn(KEY) as api:
        api.add_event("1u0S-b", EMAIL, "processed", "2026-11-20T09:07:01Z")
        api.add_event(
            "1u0S-b",
            EMAIL,
            "hard-bounced",
            "2026-11-20T09:07:11Z",
            "550 5.1.1 The email account that you tried to reach does not exist.",
            "142.250.0.27",
        )
        result = run_check("smtp2go", api.url)
    assert result.status is Status.FAIL
    assert codes(result) == {"provider_bounce_hard": "fail"}
    assert result.details["decisive"].startswith("550 5.1.1 The email account")


def test_soft_bounce_and_spam() -> None:
    with Smtp2goStandIn(KEY) as api:
        api.add_event("1u0S-c", EMAIL, "soft-bounced", "2026-11-20T09:07:11Z", "451 4.7.1 greylisted")
        soft = run_check("smtp2go", api.url)
        api.add_event("1u0S-d", EMAIL, "delivered", "2026-11-20T10:00:00Z", "250 ok")
        api.add_event("1u0S-d", EMAIL, "spam", "2026-11-20T10:30:00Z")
        spam = run_check("smtp2go", api.url)
    # SMTP2GO retries a soft bounce: a deferral, never a bounce (SPEC §15).
    assert codes(soft) == {"provider_deferred": "warn"} and soft.status is Status.WARN
    assert codes(spam) == {"provider_complaint": "warn"} and spam.status is Status.WARN


def test_suppressed_address_is_removable_and_a_domain_block_is_not() -> None:
    with Smtp2goStandIn(KEY) as api:
        api.suppress(EMAIL, "bounce", "2026-11-20 09:07:12")
        address = run_check("smtp2go", api.url)
        removal = run_removal("smtp2go", api.url)
        again = run_removal("smtp2go", api.url)
        api.suppress("example.com", "manual", "2026-11-01 00:00:00")
        domain = run_check("smtp2go", api.url)
        remove_call = next(r for r in api.requests if r.path == "/suppression/remove")
    assert address.status is Status.FAIL
    assert address.details["suppression"] == {
        "reason": "bounce",
        "since": "2026-11-20T09:07:12Z",
        "removable": True,
    }
    assert remove_call.body["email_address"] == EMAIL and "bounce" in remove_call.body["reasons"]
    assert removal.outcome is RemovalOutcome.REMOVED
    assert again.outcome is RemovalOutcome.NOT_SUPPRESSED
    assert domain.details["suppression"]["removable"] is False
    assert codes(domain) == {"provider_suppressed": "fail"}


def test_activity_search_follows_the_continue_token_up_to_the_cap() -> None:
    with Smtp2goStandIn(KEY) as api:
        for n in range(smtp2go.PAGE_CAP * smtp2go.PAGE_SIZE + 1):
            api.add_event(f"id-{n:05}", EMAIL, "processed", f"2026-11-19T10:00:00.{n:06}Z")
        result = run_check("smtp2go", api.url)
        searches = [r for r in api.requests if r.body.get("search_recipient") == EMAIL]
    assert len(searches) == smtp2go.PAGE_CAP
    assert searches[1].body["continue_token"] == str(smtp2go.PAGE_SIZE)
    assert any("stopped after" in note for note in result.details["notes"])


def test_key_without_endpoint_permission_is_a_configuration_error() -> None:
    """SMTP2GO answers 400 ENDPOINT_PERMISSION_DENIED for an endpoint the key may not call."""
    with Smtp2goStandIn(KEY) as api:
        api.denied.add("/suppression/view")
        result = run_check("smtp2go", api.url)
    assert result.status is Status.ERROR
    assert result.summary.startswith(
        "MAIL_PROVIDER_API_KEY may not call /suppression/view at SMTP2GO (ENDPOINT_PERMISSION_DENIED)"
    )
    assert result.details["error"] == "config"
    assert result.details["setting"] == "MAIL_PROVIDER_API_KEY"


def test_error_inside_a_2xx_answer_is_an_error() -> None:
    with Smtp2goStandIn(KEY) as api:
        body = {
            "request_id": "r",
            "data": {"error": "boom", "error_code": "E_ApiResponseCodes.API_EXCEPTION"},
        }
        api.answer(200, body, times=5)
        result = run_check("smtp2go", api.url)
    assert result.status is Status.ERROR
    assert "E_ApiResponseCodes.API_EXCEPTION" in result.summary
