"""The From domain's verification at each provider (SPEC §15), through the providers' real HTTP shapes.

For each provider × {verified, pending, failed, missing, key may not read domains, API down}: the
finding or the note, and never an `error` of the check because only the domain part failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.standins.providers import DEFAULT_DOMAIN, ProviderStandIn
from tests.workers.providers.support import KEYS, STANDINS, assert_clean, codes, run_check
from workers.providers.adapter import DomainReader
from workers.providers.registry import ADAPTERS
from workers.report.model import CheckResult, Status

PROVIDERS = sorted(STANDINS)
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}
# The provider's own words for the state, as the finding must quote them.
WORDS = {
    ("resend", "pending"): "Resend says pending",
    ("resend", "failed"): "Resend says failed",
    ("postmark", "pending"): "DKIMVerified: false, ReturnPathDomainVerified: false",
    ("postmark", "failed"): "DKIMVerified: true, ReturnPathDomainVerified: false",
    ("brevo", "pending"): "authenticated: false, verified: false",
    ("brevo", "failed"): "authenticated: false, verified: true",
    ("smtp2go", "pending"): "dkim_verified: false, rpath_verified: false",
    ("smtp2go", "failed"): "dkim_verified: false, rpath_verified: true",
}
# The records the provider has not verified in each state: (kind, host).
UNVERIFIED = {
    ("resend", "pending"): {
        ("MX", "send.acme.test"),
        ("SPF", "send.acme.test"),
        ("DKIM", "resend._domainkey.acme.test"),
    },
    ("resend", "failed"): {
        ("MX", "send.acme.test"),
        ("SPF", "send.acme.test"),
        ("DKIM", "resend._domainkey.acme.test"),
    },
    ("postmark", "pending"): {
        ("DKIM", "20260101000000pm._domainkey.acme.test"),
        ("Return-Path", "pm-bounces.acme.test"),
    },
    ("postmark", "failed"): {("Return-Path", "pm-bounces.acme.test")},
    ("brevo", "pending"): {
        ("DKIM", "mail._domainkey.acme.test"),
        ("ownership", "acme.test"),
        ("DMARC", "_dmarc.acme.test"),
    },
    ("brevo", "failed"): {("DKIM", "mail._domainkey.acme.test")},
    ("smtp2go", "pending"): {("DKIM", "s123456._domainkey.acme.test"), ("Return-Path", "em744766.acme.test")},
    ("smtp2go", "failed"): {("DKIM", "s123456._domainkey.acme.test")},
}
# The provider's own error for a key that may not read domains, as the note must quote it.
REFUSAL = {
    "resend": "restricted_api_key",
    "postmark": "Account token",
    "brevo": "unrecognised IP address",
    "smtp2go": "ENDPOINT_PERMISSION_DENIED",
}
DOMAIN_PATHS = {
    "resend": "/domains",
    "postmark": "/domains",
    "brevo": "/senders/domains",
    "smtp2go": "/domain/view",
}


def checked(provider: str, setup: Callable[[ProviderStandIn], None], **options: object) -> CheckResult:
    with STANDINS[provider](KEYS[provider]) as api:
        setup(api)
        result = run_check(provider, api.url, **options)  # type: ignore[arg-type]
    assert result.status is not Status.ERROR
    assert_clean(result, provider)
    return result


@pytest.mark.parametrize("provider", PROVIDERS)
def test_verified_domain_is_nothing_to_report(provider: str) -> None:
    result = checked(provider, lambda api: None)
    section = result.details["sender_domain"]
    assert result.status is Status.OK and result.findings == ()
    assert section["outcome"] == "verified" and section["verified"] is True
    assert section["domain"] == DEFAULT_DOMAIN and section["note"] is None
    assert "sender domain" not in result.summary


@pytest.mark.parametrize("state", ["pending", "failed"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_unverified_domain_is_a_finding_in_the_providers_own_words(provider: str, state: str) -> None:
    result = checked(provider, lambda api: api.set_domain(DEFAULT_DOMAIN, state))
    section = result.details["sender_domain"]
    finding = next(f for f in result.findings if f.code == "sender_domain_unverified")
    assert codes(result) == {"sender_domain_unverified": "fail"} and result.status is Status.FAIL
    assert section["outcome"] == "unverified" and section["verified"] is False
    assert WORDS[(provider, state)] in finding.summary
    assert f"{LABELS[provider]} has not verified the sender domain acme.test" in result.summary
    unverified = {(r["kind"], r["host"]) for r in section["records"] if not r["verified"]}
    assert unverified == UNVERIFIED[(provider, state)]
    for kind, host in unverified:
        assert f"{kind} {host}" in finding.summary
    assert all(r["dns_found"] is None for r in section["records"])  # no resolver given: not compared


@pytest.mark.parametrize("provider", PROVIDERS)
def test_domain_missing_at_the_provider(provider: str) -> None:
    def other_domain_only(api: ProviderStandIn) -> None:
        api.drop_domain(DEFAULT_DOMAIN)
        api.set_domain("other.example", "verified")

    result = checked(provider, other_domain_only)
    assert codes(result) == {"sender_domain_unverified": "fail"}
    assert result.details["sender_domain"]["outcome"] == "missing"
    assert f"{LABELS[provider]} does not have the sender domain acme.test" in result.findings[0].summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_key_that_may_not_read_domains_is_a_note(provider: str) -> None:
    result = checked(provider, lambda api: api.refuse_domains())
    section = result.details["sender_domain"]
    reader: DomainReader = ADAPTERS[provider].domains
    assert result.status is Status.OK and result.findings == ()
    assert section["outcome"] == "unreadable" and section["verified"] is None
    assert REFUSAL[provider] in section["note"] and reader.key_hint in section["note"]
    assert section["note"] in result.details["notes"]


def test_postmark_with_a_wrong_account_token_is_a_note_naming_the_setting() -> None:
    result = checked("postmark", lambda api: None, account_token="not-the-account-token")
    section = result.details["sender_domain"]
    assert result.status is Status.OK and section["outcome"] == "unreadable"
    assert "POSTMARK_ACCOUNT_TOKEN" in section["note"]
    assert "not-the-account-token" not in json.dumps(result.to_dict())


def test_postmark_without_an_account_token_skips_the_domain_with_a_note() -> None:
    with STANDINS["postmark"](KEYS["postmark"]) as api:
        result = run_check("postmark", api.url, account_token=None)
        asked = api.paths()
    section = result.details["sender_domain"]
    assert result.status is Status.OK and section["outcome"] == "skipped"
    assert section["note"].startswith("POSTMARK_ACCOUNT_TOKEN is not set")
    assert not any(path.startswith("/domains") for path in asked)


def test_postmark_asks_domains_with_the_account_token_only() -> None:
    with STANDINS["postmark"](KEYS["postmark"]) as api:
        run_check("postmark", api.url)
        domain_calls = [r for r in api.requests if r.path.startswith("/domains")]
    assert [r.path for r in domain_calls] == ["/domains", "/domains/1000"]
    assert all("x-postmark-server-token" not in r.headers for r in domain_calls)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_domain_api_down_is_a_note_never_an_error(provider: str) -> None:
    result = checked(provider, lambda api: api.fail(503, times=5, path=DOMAIN_PATHS[provider]))
    section = result.details["sender_domain"]
    assert result.status is Status.OK and result.findings == ()
    assert section["outcome"] == "error"
    assert f"{LABELS[provider]} API is failing (503)" in section["note"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limited_domain_api_is_a_note(provider: str) -> None:
    def limited(api: ProviderStandIn) -> None:
        api.rate_limit(times=1, retry_after="30", path=DOMAIN_PATHS[provider])

    result = checked(provider, limited, timeout=2.0)
    assert result.status is Status.OK
    assert result.details["sender_domain"]["outcome"] == "error"
    assert "rate limit" in result.details["sender_domain"]["note"]


def test_without_a_from_address_the_domain_is_skipped() -> None:
    result = checked("resend", lambda api: None, from_domain=None)
    assert result.details["sender_domain"]["outcome"] == "skipped"
    assert "COURIER_SMTP_FROM_ADDRESS" in result.details["sender_domain"]["note"]
