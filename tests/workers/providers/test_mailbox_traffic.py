"""One mailbox provider refusing us (SPEC §15): the last 24 h of mail to the recipient's mailbox-provider
group against all other mail, for every provider through its real HTTP shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

from tests.standins.dns_server import DnsServer
from tests.standins.providers import ProviderStandIn
from tests.workers.providers.support import KEYS, STANDINS, codes, run_check
from tests.workers.providers.worlds import USER_UNKNOWN, Mail, day, populate
from workers.providers import resend_traffic
from workers.report.model import CheckResult, Status

PROVIDERS = sorted(STANDINS)
OUTLOOK = ["outlook.com", "hotmail.com", "live.com", "hotmail.co.uk"]
MICROSOFT = "Microsoft (Outlook.com / Microsoft 365)"
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}


def outlook_world() -> list[Mail]:
    """Outlook defers 40 of our 100 messages for the sending IP's reputation; Gmail takes all 230."""
    return day(OUTLOOK, 100, deferred=40) + day(["gmail.com", "googlemail.com"], 230)


def check(provider: str, mails: list[Mail], email: str, redis_url: str, **options: object) -> CheckResult:
    with STANDINS[provider](KEYS[provider]) as api:
        populate(provider, api, mails, redis_url=redis_url)
        # The cache is also where Resend's webhook events (its only source of replies) are kept.
        return run_check(provider, api.url, email=email, cache_url=redis_url, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_outlook_deferring_40_percent_fails_for_an_outlook_recipient(provider: str, redis_url: str) -> None:
    result = check(provider, outlook_world(), "someone@outlook.com", redis_url)
    section = result.details["mailbox_provider"]
    finding = next(f for f in result.findings if f.code == "mailbox_provider_rejecting")
    assert codes(result) == {"mailbox_provider_rejecting": "fail"} and result.status is Status.FAIL
    counted = {key: section[key] for key in ("messages", "failed", "deferred", "percent")}
    assert counted == {"messages": 100, "failed": 40, "deferred": 40, "percent": 40}
    assert (section["other"]["messages"], section["other"]["failed"]) == (230, 0)
    assert section["group"]["key"] == "microsoft" and "msn.com" in section["group"]["domains"]
    assert section["dominant_reply"]["category"] == "rate_limited"
    assert section["dominant_reply"]["messages"] == 40
    assert section["dominant_reply"]["reply"].startswith("451 4.7.650 The mail server [x.x.x.x]")
    assert finding.summary.startswith(
        f"{MICROSOFT} refused or deferred 40 of 100 messages in the last 24 h (40 %); other mail 0 of 230"
    )
    assert "rate_limited" in finding.summary and "Warm up the sending IP/domain" in finding.summary
    assert f"{MICROSOFT} refused or deferred 40 of 100" in result.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_same_world_says_nothing_for_a_gmail_recipient(provider: str, redis_url: str) -> None:
    result = check(provider, outlook_world(), "someone@gmail.com", redis_url)
    section = result.details["mailbox_provider"]
    assert result.findings == () and result.status is Status.OK
    assert section["group"]["key"] == "google"
    assert (section["messages"], section["failed"]) == (230, 0)
    assert (section["other"]["messages"], section["other"]["failed"]) == (100, 40)


@pytest.mark.parametrize(
    ("count", "failed", "expected"),
    [(19, 19, None), (20, 1, None), (20, 2, "warn"), (20, 5, "warn"), (20, 6, "fail"), (100, 30, "fail")],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_thresholds(provider: str, count: int, failed: int, expected: str | None, redis_url: str) -> None:
    """warn from 10 % of at least 20 messages, fail from 30 %."""
    mails = day(["gmail.com"], count, bounced=failed, reply=USER_UNKNOWN) + day(["yahoo.com"], 5)
    result = check(provider, mails, "someone@gmail.com", redis_url)
    section = result.details["mailbox_provider"]
    assert codes(result) == ({"mailbox_provider_rejecting": expected} if expected else {})
    assert (section["messages"], section["bounced"]) == (count, failed)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_mail_older_than_24_hours_is_not_counted(provider: str, redis_url: str) -> None:
    earlier = day(OUTLOOK, 60, deferred=60)
    old = [Mail(m.address, m.outcome, m.at - timedelta(hours=26), m.reply) for m in earlier]
    result = check(provider, day(OUTLOOK, 30) + old, "someone@hotmail.com", redis_url)
    section = result.details["mailbox_provider"]
    assert (section["messages"], section["failed"]) == (30, 0)
    assert result.findings == ()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_other_recipients_address_anywhere_in_the_result(provider: str, redis_url: str) -> None:
    """Counts, the group's domains and scrubbed replies only: never another recipient's address."""
    others = day(["example.org", "corp.example"], 30, deferred=3)
    mails = day(OUTLOOK, 40, bounced=20, reply=USER_UNKNOWN) + others
    result = check(provider, mails, "someone@outlook.com", redis_url)
    text = json.dumps(result.to_dict()) + "".join(f.summary for f in result.findings)
    assert codes(result) == {"mailbox_provider_rejecting": "fail"}
    for mail in mails:
        assert mail.address not in text and mail.address.split("@")[0] not in text
    assert "example.org" not in text and "corp.example" not in text  # other mail is counted, not named
    assert "550 5.1.1 <address>: Recipient address rejected" in text


def test_authentication_replies_advise_fixing_authentication_first(redis_url: str) -> None:
    reply = (
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. "
        "Gmail requires all senders to authenticate with either SPF or DKIM."
    )
    result = check("smtp2go", day(["gmail.com"], 40, bounced=20, reply=reply), "someone@gmail.com", redis_url)
    finding = result.findings[0]
    assert result.details["mailbox_provider"]["dominant_reply"]["category"] == "authentication"
    assert "Fix authentication first (SPF, DKIM, DMARC: see the sender_auth check)" in finding.summary


@pytest.fixture
def m365_dns() -> Iterator[DnsServer]:
    zones = {"contoso.test": {"MX": ["0 contoso-test.mail.protection.outlook.com."]}}
    with DnsServer(zones) as server:
        yield server


def test_a_microsoft_365_company_domain_joins_outlooks_group(redis_url: str, m365_dns: DnsServer) -> None:
    mails = outlook_world() + day(["contoso.test"], 10, deferred=10)
    result = check("brevo", mails, "ceo@contoso.test", redis_url, nameserver=m365_dns.nameserver)
    section = result.details["mailbox_provider"]
    assert section["group"]["key"] == "microsoft" and "contoso.test" in section["group"]["domains"]
    assert (section["messages"], section["failed"]) == (110, 50)
    assert ("contoso.test", "MX") in m365_dns.queries


def test_an_unknown_mailbox_provider_compares_the_recipients_domain_alone(redis_url: str) -> None:
    mails = day(["tiny.example"], 25, deferred=10) + outlook_world()
    result = check("postmark", mails, "owner@tiny.example", redis_url)
    section = result.details["mailbox_provider"]
    assert section["group"] == {"key": "domain", "name": "tiny.example", "domains": ["tiny.example"]}
    assert (section["messages"], section["failed"], section["other"]["messages"]) == (25, 10, 330)
    assert codes(result) == {"mailbox_provider_rejecting": "fail"}


def test_a_scan_that_stops_at_its_cap_says_at_least(redis_url: str) -> None:
    cap = resend_traffic.PAGE_CAP * 100
    mails = day(OUTLOOK, cap + 100, deferred=cap + 100)
    result = check("resend", mails, "someone@outlook.com", redis_url)
    section = result.details["mailbox_provider"]
    assert section["capped"] is True and section["messages"] == cap
    assert "(at least: the scan stopped at its cap)" in result.findings[0].summary
    assert f"Resend scan stopped after {cap} emails of the last 24 h" in result.details["notes"]


AGGREGATE_CALLS = {
    "resend": lambda api: [r for r in api.requests if r.path == "/emails"],
    "postmark": lambda api: [
        r
        for r in api.requests
        if (r.path == "/bounces" and "emailFilter" not in r.query)
        or (r.path == "/messages/outbound" and r.query.get("recipient", "@").startswith("@"))
    ],
    "brevo": lambda api: [
        r for r in api.requests if r.path == "/smtp/statistics/events" and "email" not in r.query
    ],
    "smtp2go": lambda api: [
        r for r in api.requests if r.path == "/activity/search" and "search_recipient" not in r.body
    ],
}
DOMAIN_CALLS = {
    "resend": "/domains",
    "postmark": "/domains",
    "brevo": "/senders/domains",
    "smtp2go": "/domain/",
}


def domain_calls(provider: str, api: ProviderStandIn) -> int:
    return len([path for path in api.paths() if path.startswith(DOMAIN_CALLS[provider])])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_burst_for_one_group_asks_the_provider_once_a_minute(provider: str, redis_url: str) -> None:
    """Two reports for different Gmail users within a minute: one aggregate, one domain lookup."""
    with STANDINS[provider](KEYS[provider]) as api:
        populate(provider, api, day(["gmail.com"], 30, deferred=6), redis_url=redis_url)
        first = run_check(provider, api.url, email="first@gmail.com", cache_url=redis_url)
        aggregate, domain = len(AGGREGATE_CALLS[provider](api)), domain_calls(provider, api)
        second = run_check(provider, api.url, email="second@googlemail.com", cache_url=redis_url)
        # Resend's recipient scan reads the same list: the second recipient's own scan is one page.
        again = len(AGGREGATE_CALLS[provider](api)) - (1 if provider == "resend" else 0)
        domain_again = domain_calls(provider, api)
    assert aggregate >= 1 and again == aggregate and domain_again == domain >= 1
    assert first.details["mailbox_provider"]["cached"] is False
    assert second.details["mailbox_provider"]["cached"] is True
    assert second.details["sender_domain"]["cached"] is True
    assert codes(second) == codes(first) == {"mailbox_provider_rejecting": "warn"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_aggregate_api_down_is_a_note_never_an_error(
    provider: str, redis_url: str, sync_redis: redis.Redis
) -> None:
    """The recipient's part and the domain come from the cache; the aggregate meets the outage."""
    with STANDINS[provider](KEYS[provider]) as api:
        populate(provider, api, day(["gmail.com"], 30, deferred=6), redis_url=redis_url)
        run_check(provider, api.url, email="someone@gmail.com", cache_url=redis_url)
        for key in sync_redis.scan_iter("mailcheck:provider:cache:traffic:*"):
            sync_redis.delete(key)
        api.fail(503, times=50)
        result = run_check(provider, api.url, email="someone@gmail.com", cache_url=redis_url)
    section = result.details["mailbox_provider"]
    assert result.status is Status.OK and result.findings == ()
    assert result.details["cached"] is True and section["outcome"] == "error"
    assert section["notes"] == [
        f"the last 24 h of mail could not be read: {LABELS[provider]} API is failing (503)"
    ]
    assert section["notes"][0] in result.details["notes"]
