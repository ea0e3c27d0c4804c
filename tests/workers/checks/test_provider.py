"""The provider check's contract: skips, status per outcome, and correlation with courier messages."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import SecretStr

from tests.standins.providers import PostmarkStandIn
from tests.workers.providers.support import EMAIL, KEYS, run_check
from workers.checks.provider import check_provider, correlate_with_courier
from workers.report.model import CheckResult, Status

TOKEN = KEYS["postmark"]


def skipped(
    provider: str, api_key: SecretStr | None, configured: str = "auto", relay_configured: bool = True
) -> CheckResult:
    return asyncio.run(
        check_provider(
            EMAIL,
            provider=provider,
            api_key=api_key,
            api_url="http://127.0.0.1:9",
            postmark_stream="outbound",
            lookback_days=7,
            cache=None,
            timeout=1,
            configured=configured,
            relay_configured=relay_configured,
        )
    )


def test_inferred_plain_smtp_is_skipped_with_advice_to_set_mail_provider() -> None:
    result = skipped("smtp", SecretStr("x"))
    assert result.status is Status.SKIPPED
    assert result.summary.startswith("The SMTP relay is not one of the providers mailcheck knows")
    assert "set MAIL_PROVIDER if Resend, Postmark, Brevo or SMTP2GO sends the mail" in result.summary


def test_no_relay_and_auto_says_the_provider_cannot_be_inferred() -> None:
    result = skipped("smtp", None, relay_configured=False)
    assert result.status is Status.SKIPPED
    assert "COURIER_SMTP_CONNECTION_URI is not set" in result.summary
    assert "not one of the providers" not in result.summary  # there is no relay to judge


def test_explicit_plain_smtp_says_there_is_no_api_to_ask() -> None:
    result = skipped("smtp", SecretStr("x"), configured="smtp")
    assert result.status is Status.SKIPPED
    assert result.summary.startswith("MAIL_PROVIDER=smtp: ")
    assert "there is no provider API to ask" in result.summary
    assert "set MAIL_PROVIDER" not in result.summary


@pytest.mark.parametrize("provider", ["resend", "postmark", "brevo", "smtp2go"])
def test_no_key_is_skipped_with_what_to_set(provider: str) -> None:
    result = skipped(provider, None)
    assert result.status is Status.SKIPPED
    assert result.summary.startswith("Set MAIL_PROVIDER_API_KEY to read what ")
    assert ("RESEND_WEBHOOK_SECRET" in result.summary) is (provider == "resend")


def postmark_result(api: PostmarkStandIn) -> CheckResult:
    """Three messages: m-old delivered, m-bounce hard-bounced, m-new (newest) delivered."""
    api.add_message("m-old", EMAIL, "2026-11-18T09:00:20Z")
    api.add_event("m-old", "Delivered", "2026-11-18T09:00:25Z", EMAIL, DeliveryMessage="250 ok")
    api.add_message("m-bounce", EMAIL, "2026-11-20T10:00:30Z")
    api.add_event("m-bounce", "Bounced", "2026-11-20T10:00:35Z", EMAIL, BounceID=1)
    api.add_bounce(1, "m-bounce", EMAIL, "HardBounce", "2026-11-20T10:00:35Z", "smtp;550 5.1.1 no such user")
    api.add_message("m-new", EMAIL, "2026-11-20T11:00:10Z")
    api.add_event("m-new", "Delivered", "2026-11-20T11:00:12Z", EMAIL, DeliveryMessage="250 ok")
    return run_check("postmark", api.url)


def courier(message_id: str, created_at: str, status: str = "sent") -> dict[str, str]:
    return {
        "id": message_id,
        "status": status,
        "created_at": created_at,
        "template_type": "verification_code",
    }


def test_status_follows_the_newest_message_by_time() -> None:
    with PostmarkStandIn(TOKEN) as api:
        result = postmark_result(api)
    assert result.status is Status.OK
    assert result.details["newest"]["id"] == "m-new"
    assert result.details["correlated"] is False


def test_correlation_judges_the_newest_sent_courier_message() -> None:
    with PostmarkStandIn(TOKEN) as api:
        result = postmark_result(api)
    couriers = [  # newest first, as the courier check lists them
        courier("c-queued", "2026-11-20T11:30:00Z", "queued"),
        courier("c-2", "2026-11-20T10:00:29.5Z"),
        courier("c-1", "2026-11-18T09:00:00Z"),
    ]
    before = json.dumps(result.details, sort_keys=True)
    correlated = correlate_with_courier(result, couriers)
    assert json.dumps(result.details, sort_keys=True) == before  # pure: the input is untouched
    by_id = {m["id"]: m["courier_message_id"] for m in correlated.details["messages"]}
    assert by_id == {"m-new": None, "m-bounce": "c-2", "m-old": "c-1"}
    assert correlated.details["newest"]["id"] == "m-bounce"
    assert correlated.details["correlated"] is True
    assert correlated.details["decisive"] == "550 5.1.1 no such user"
    assert correlated.status is Status.FAIL
    assert [f.code for f in correlated.findings] == ["provider_bounce_hard"]


def test_sent_courier_message_without_provider_record_leaves_newest_empty() -> None:
    with PostmarkStandIn(TOKEN) as api:
        result = postmark_result(api)
    correlated = correlate_with_courier(result, [courier("c-9", "2026-11-20T11:45:00Z")])
    assert correlated.details["newest"] is None
    assert correlated.details["decisive"] is None
    assert correlated.status is Status.OK and correlated.findings == ()
    assert "no record of the newest message the courier sent" in correlated.summary


def test_provider_message_id_carrying_the_courier_id_wins_over_time() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-a", EMAIL, "2026-11-20T10:00:01Z")
        api.add_message("<c-7f3a@kratos>", EMAIL, "2026-11-20T10:05:00Z")
        result = run_check("postmark", api.url)
    correlated = correlate_with_courier(result, [courier("c-7f3a", "2026-11-20T10:00:00Z")])
    assert correlated.details["newest"]["id"] == "<c-7f3a@kratos>"


def test_each_provider_message_matches_one_courier_message() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:02Z")
        result = run_check("postmark", api.url)
    couriers = [courier("c-2", "2026-11-20T10:00:01Z"), courier("c-1", "2026-11-20T10:00:00Z")]
    correlated = correlate_with_courier(result, couriers)
    assert correlated.details["messages"][0]["courier_message_id"] == "c-2"
    assert correlated.details["newest"]["id"] == "m-1"


def test_no_courier_messages_keeps_the_newest_by_time_and_errors_pass_through() -> None:
    with PostmarkStandIn(TOKEN) as api:
        result = postmark_result(api)
    assert correlate_with_courier(result, []).details["newest"]["id"] == "m-new"
    failed = CheckResult.error("Postmark API is failing (503)", provider="postmark")
    assert correlate_with_courier(failed, [courier("c-1", "2026-11-20T10:00:00Z")]) is failed
    odd = [{"id": 5, "status": "sent", "created_at": "yesterday"}]
    assert correlate_with_courier(result, odd).details["newest"]["id"] == "m-new"


def test_correlation_keeps_the_sender_domain_and_mailbox_findings() -> None:
    with PostmarkStandIn(TOKEN) as api:
        api.set_domain("acme.test", "pending")
        result = postmark_result(api)
    correlated = correlate_with_courier(result, [courier("c-2", "2026-11-20T10:00:29.5Z")])
    assert {f.code for f in result.findings} == {"sender_domain_unverified"}
    assert {f.code for f in correlated.findings} == {"sender_domain_unverified", "provider_bounce_hard"}
    assert correlated.details["sender_domain"] == result.details["sender_domain"]
    assert correlated.details["mailbox_provider"] == result.details["mailbox_provider"]
    assert correlated.status is Status.FAIL
