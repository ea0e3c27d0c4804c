"""Unverified records compared with what DNS shows, through the real DNS stand-in (SPEC §15).

A record in DNS that the provider has not verified means "re-verify in the dashboard"; a missing one
means "add it"; a different value means "change it". A broken resolver proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.standins.dns_server import DnsServer
from tests.standins.providers import DEFAULT_DOMAIN, DKIM_KEY
from tests.workers.providers.support import KEYS, STANDINS, run_check
from tests.workers.providers.worlds import publish
from workers.report.model import CheckResult, Status

PROVIDERS = sorted(STANDINS)
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}


@pytest.fixture
def dns() -> Iterator[DnsServer]:
    with DnsServer({DEFAULT_DOMAIN: {"MX": ["10 mx.acme.test."]}}) as server:
        yield server


def pending(provider: str, dns: DnsServer, *, published: bool) -> CheckResult:
    with STANDINS[provider](KEYS[provider]) as api:
        api.set_domain(DEFAULT_DOMAIN, "pending")
        if published:
            publish(dns, api, DEFAULT_DOMAIN)
        return run_check(provider, api.url, nameserver=dns.nameserver)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_records_in_dns_mean_reverify_in_the_dashboard(provider: str, dns: DnsServer) -> None:
    result = pending(provider, dns, published=True)
    records = result.details["sender_domain"]["records"]
    summary = next(f.summary for f in result.findings if f.code == "sender_domain_unverified")
    assert result.status is Status.FAIL
    assert records and all(r["dns_found"] is True for r in records)
    advice = f"the record is in DNS: re-verify in the {LABELS[provider]} dashboard"
    assert summary.count(advice) == len(records)
    assert "missing from DNS" not in summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_records_missing_from_dns_say_what_to_add(provider: str, dns: DnsServer) -> None:
    result = pending(provider, dns, published=False)
    records = result.details["sender_domain"]["records"]
    summary = next(f.summary for f in result.findings if f.code == "sender_domain_unverified")
    assert records and all(r["dns_found"] is False and r["dns_values"] == [] for r in records)
    for record in records:
        assert f"the record is missing from DNS: add {record['host']} {record['type']} " in summary
    assert "re-verify" not in summary
    asked = {(name, rdtype) for name, rdtype in dns.queries}
    assert {(r["host"], r["type"]) for r in records} <= asked


def test_a_different_value_in_dns_says_what_to_change(dns: DnsServer) -> None:
    dns.add("resend._domainkey.acme.test", "TXT", '"p=MIGfOLDKEYOLDKEY"')
    with STANDINS["resend"](KEYS["resend"]) as api:
        api.set_domain(DEFAULT_DOMAIN, "partially_failed")  # SPF rows verified, DKIM failed
        result = run_check("resend", api.url, nameserver=dns.nameserver)
    dkim = next(r for r in result.details["sender_domain"]["records"] if r["kind"] == "DKIM")
    summary = result.findings[0].summary
    assert dkim["dns_found"] is False and dkim["dns_values"] == ["p=MIGfOLDKEYOLDKEY"]
    assert dkim["value"] == f"p={DKIM_KEY}"  # the details carry the whole expected value
    different = "DNS has a different value there (p=MIGfOLDKEYOLDKEY): set it to TXT p=MIGf"
    assert f"DKIM resend._domainkey.acme.test (failed): {different}" in summary
    assert "Resend says partially_failed" in summary
    verified = [r for r in result.details["sender_domain"]["records"] if r["verified"]]
    assert [r["dns_found"] for r in verified] == [None, None]  # verified rows are not looked up


def test_dkim_key_published_with_other_tags_counts_as_present(dns: DnsServer) -> None:
    dns.add("20260101000000pm._domainkey.acme.test", "TXT", f'"v=DKIM1; k=rsa; p={DKIM_KEY}"')
    with STANDINS["postmark"](KEYS["postmark"]) as api:
        api.set_domain(DEFAULT_DOMAIN, "pending")
        result = run_check("postmark", api.url, nameserver=dns.nameserver)
    found = {r["kind"]: r["dns_found"] for r in result.details["sender_domain"]["records"]}
    assert found == {"DKIM": True, "Return-Path": False}


def test_postmark_dkim_verified_but_gone_from_dns_is_a_note(dns: DnsServer) -> None:
    """Postmark's DKIMVerified stays true after the record is removed: it is looked up anyway."""
    with STANDINS["postmark"](KEYS["postmark"]) as api:
        result = run_check("postmark", api.url, nameserver=dns.nameserver)  # verified, nothing in DNS
    section = result.details["sender_domain"]
    assert section["outcome"] == "verified" and result.findings == ()
    assert section["note"] == (
        "Postmark keeps these marked verified, but they are no longer in DNS: "
        "DKIM 20260101000000pm._domainkey.acme.test"
    )


@pytest.mark.parametrize(
    ("mode", "note"),
    [("servfail", "DNS could not be read for "), ("nxdomain", "the records were not compared with DNS: ")],
)
def test_broken_resolver_compares_nothing(dns: DnsServer, mode: str, note: str) -> None:
    """SPEC §5: our own resolver answering NXDOMAIN for everything must not read as "record missing"."""
    dns.broken = mode
    result = pending("smtp2go", dns, published=False)
    section = result.details["sender_domain"]
    assert result.status is Status.FAIL  # the provider's own word still stands
    assert all(r["dns_found"] is None for r in section["records"])
    assert "missing from DNS" not in result.findings[0].summary
    assert section["note"].startswith(note)
