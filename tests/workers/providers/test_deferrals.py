"""A provider's temporary-failure record is a deferral, never a bounce (SPEC §15, §6.1 rule 10).

Through each provider's real HTTP shapes to the verdict engine: the report says `provider_deferred`,
not `provider_bounced`, while the provider is still retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.standins.providers import (
    BrevoStandIn,
    PostmarkStandIn,
    ProviderStandIn,
    ResendStandIn,
    Smtp2goStandIn,
)
from tests.workers.providers.support import EMAIL, KEYS, STANDINS, codes, run_check
from workers.report.model import CHECK_NAMES, CheckResult, Status, Verdict
from workers.report.verdict import decide_verdict

TRY_LATER = (
    "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation."
)


def verdict_with(provider: CheckResult) -> Verdict:
    """The verdict of a report whose courier sent the message and whose provider says `provider`."""
    checks = {name: CheckResult.skipped("") for name in CHECK_NAMES}
    checks["identity"] = CheckResult(Status.OK, "", {"found": True, "address": {"verified": False}})
    newest = {"id": "c-1", "status": "sent", "age_s": 600, "dispatches": []}
    courier = {"newest": newest, "stuck": False, "classification": None, "last_error": ""}
    checks["courier"] = CheckResult(Status.OK, "", courier)
    checks["provider"] = provider
    return decide_verdict(checks)


@pytest.mark.parametrize("kind", ["Transient", "SoftBounce", "DnsError"])
def test_postmark_temporary_bounce_types_are_deferrals(kind: str) -> None:
    with PostmarkStandIn(KEYS["postmark"]) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.add_event("m-1", "Bounced", "2026-11-20T10:00:05Z", EMAIL, BounceID="77", Summary="delayed")
        api.add_bounce(77, "m-1", EMAIL, kind, "2026-11-20T10:00:05Z", f"smtp;{TRY_LATER}", inactive=False)
        result = run_check("postmark", api.url)
    newest = result.details["newest"]
    assert newest["outcome"] == "deferred" and newest["reply"] == TRY_LATER
    assert [e["type"] for e in newest["events"]] == ["sent", "deferred"]
    assert codes(result) == {"provider_deferred": "warn"}
    assert newest["category"] == "rate_limited"  # the reply is explained where it is shown
    assert verdict_with(result) is Verdict.PROVIDER_DEFERRED


def test_postmark_hard_bounce_is_still_a_bounce() -> None:
    with PostmarkStandIn(KEYS["postmark"]) as api:
        api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
        api.add_bounce(78, "m-1", EMAIL, "HardBounce", "2026-11-20T10:00:05Z", "smtp;550 5.1.1 no such user")
        result = run_check("postmark", api.url)
    assert result.details["newest"]["outcome"] == "bounced_hard"
    assert verdict_with(result) is Verdict.PROVIDER_BOUNCED


def _resend(api: ProviderStandIn) -> None:
    assert isinstance(api, ResendStandIn)
    api.add_email("e-1", EMAIL, "2026-11-20T10:00:00Z", last_event="delivery_delayed")


def _postmark(api: ProviderStandIn) -> None:
    assert isinstance(api, PostmarkStandIn)
    api.add_message("m-1", EMAIL, "2026-11-20T10:00:00Z")
    api.add_event("m-1", "Transient", "2026-11-20T10:00:05Z", EMAIL, DeliveryMessage=TRY_LATER)


def _brevo(api: ProviderStandIn) -> None:
    assert isinstance(api, BrevoStandIn)
    api.add_event("<m1@x>", EMAIL, "requests", "2026-11-20T10:00:00Z")
    api.add_event("<m1@x>", EMAIL, "softBounces", "2026-11-20T10:00:05Z", TRY_LATER)


def _smtp2go(api: ProviderStandIn) -> None:
    assert isinstance(api, Smtp2goStandIn)
    api.add_event("1u0S-a", EMAIL, "processed", "2026-11-20T10:00:00Z")
    api.add_event("1u0S-a", EMAIL, "soft-bounced", "2026-11-20T10:00:05Z", TRY_LATER, "203.0.113.20")


TEMPORARY: dict[str, Callable[[ProviderStandIn], Any]] = {
    "resend": _resend,
    "postmark": _postmark,
    "brevo": _brevo,
    "smtp2go": _smtp2go,
}


@pytest.mark.parametrize("provider", sorted(TEMPORARY))
def test_every_providers_temporary_failure_gives_provider_deferred(provider: str) -> None:
    with STANDINS[provider](KEYS[provider]) as api:
        TEMPORARY[provider](api)
        result = run_check(provider, api.url)
    assert result.details["newest"]["outcome"] == "deferred"
    assert codes(result) == {"provider_deferred": "warn"}
    assert verdict_with(result) is Verdict.PROVIDER_DEFERRED
