"""The DMARC part: record discovery (with the organizational-domain fallback), validity, policy and
alignment, through the real DNS stand-in."""

from __future__ import annotations

import asyncio

import pytest

from tests.standins.dns_server import DnsServer
from workers.checks.sender_auth.dmarc import (
    DmarcLookup,
    aligned,
    assess_dmarc,
    fetch_dmarc,
    organizational_domain,
)
from workers.checks.sender_auth.part import AuthPart
from workers.clients.dns import make_resolver
from workers.report.model import Severity

Zones = dict[str, dict[str, list[str]]]


def lookup(zones: Zones, from_domain: str = "example.com") -> tuple[DmarcLookup, list[tuple[str, str]]]:
    with DnsServer(zones) as server:
        resolver = make_resolver([server.nameserver], timeout=1.0)
        found = asyncio.run(fetch_dmarc(resolver, from_domain))
    return found, server.queries


def dmarc_part(
    record: str | list[str] | None,
    *,
    from_domain: str = "example.com",
    at: str = "_dmarc.example.com",
    return_path: str | None = "example.com",
    spf_authorizes: bool | None = True,
    dkim_usable: bool | None = True,
) -> AuthPart:
    records = [record] if isinstance(record, str) else record or []
    found, _ = lookup({at: {"TXT": [f'"{text}"' for text in records]}} if records else {}, from_domain)
    return assess_dmarc(
        found,
        from_domain=from_domain,
        return_path=return_path,
        spf_authorizes=spf_authorizes,
        dkim_usable=dkim_usable,
    )


def codes(part: AuthPart) -> list[tuple[str, Severity]]:
    return [(finding.code, finding.severity) for finding in part.findings]


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("Mail.Example.COM.", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),
        ("user.github.io", "user.github.io"),
    ],
)
def test_organizational_domain_from_the_shipped_psl(domain: str, org: str) -> None:
    assert organizational_domain(domain) == org


def test_alignment_modes() -> None:
    assert aligned("send.example.com", "example.com", "r")
    assert not aligned("send.example.com", "example.com", "s")
    assert aligned("Example.com.", "example.com", "s")
    assert not aligned("example.net", "example.com", "r")


def test_valid_record() -> None:
    part = dmarc_part("v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:d@example.com")
    assert part.findings == []
    details = part.details
    assert (details["domain"], details["policy"], details["subdomain_policy"]) == (
        "_dmarc.example.com",
        "reject",
        "quarantine",
    )
    assert (details["effective_policy"], details["pct"], details["adkim"], details["aspf"]) == (
        "reject",
        50,
        "s",
        "r",
    )
    assert (details["aligned_spf"], details["aligned_dkim"]) == (True, True)


def test_missing_record_is_warn() -> None:
    part = dmarc_part(None)
    assert codes(part) == [("dmarc_missing", Severity.WARN)]


def test_unrelated_txt_is_not_a_record() -> None:
    part = dmarc_part("v=spf1 -all")
    assert codes(part) == [("dmarc_missing", Severity.WARN)]


def test_policy_none_is_info() -> None:
    part = dmarc_part("v=DMARC1; p=none; rua=mailto:d@example.com")
    assert codes(part) == [("dmarc_policy_none", Severity.INFO)]


@pytest.mark.parametrize(
    "record",
    [
        "v=DMARC1; p=block",
        "v=DMARC1; rua=mailto:d@example.com",
        "v=DMARC1; p=reject; sp=maybe",
        "v=DMARC1; p=reject; pct=150",
        "v=DMARC1; p=reject; adkim=x",
        "v=DMARC1; p=reject; junk",
        ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
    ],
    ids=["bad-p", "no-p", "bad-sp", "bad-pct", "bad-adkim", "malformed", "two-records"],
)
def test_invalid_record_is_fail(record: str | list[str]) -> None:
    part = dmarc_part(record)
    assert codes(part) == [("dmarc_invalid", Severity.FAIL)]


def test_falls_back_to_the_organizational_domain() -> None:
    found, queries = lookup(
        {"_dmarc.example.co.uk": {"TXT": ['"v=DMARC1; p=reject; sp=none"']}}, "mail.example.co.uk"
    )
    assert queries == [("_dmarc.mail.example.co.uk", "TXT"), ("_dmarc.example.co.uk", "TXT")]
    part = assess_dmarc(
        found, from_domain="mail.example.co.uk", return_path=None, spf_authorizes=None, dkim_usable=True
    )
    assert part.details["domain"] == "_dmarc.example.co.uk"
    assert part.details["effective_policy"] == "none"  # a subdomain gets sp=
    assert codes(part) == [("dmarc_policy_none", Severity.INFO)]


def test_own_record_wins_over_the_organizational_domain() -> None:
    zones: Zones = {
        "_dmarc.mail.example.com": {"TXT": ['"v=DMARC1; p=reject"']},
        "_dmarc.example.com": {"TXT": ['"v=DMARC1; p=none"']},
    }
    found, queries = lookup(zones, "mail.example.com")
    assert (found.domain, queries) == ("mail.example.com", [("_dmarc.mail.example.com", "TXT")])


@pytest.mark.parametrize(
    ("return_path", "aspf", "authorizes", "expected"),
    [
        ("send.example.com", "r", True, True),
        ("send.example.com", "s", True, False),
        ("example.com", "s", True, True),
        ("example.com", "r", False, False),
        ("example.com", "r", None, None),
        (None, "r", True, False),
        ("bounces.example.net", "r", True, False),
    ],
)
def test_spf_alignment(
    return_path: str | None, aspf: str, authorizes: bool | None, expected: bool | None
) -> None:
    part = dmarc_part(f"v=DMARC1; p=reject; aspf={aspf}", return_path=return_path, spf_authorizes=authorizes)
    assert part.details["aligned_spf"] is expected


def test_nothing_aligns_is_said_in_the_summary() -> None:
    part = dmarc_part("v=DMARC1; p=reject", return_path=None, dkim_usable=False)
    assert (part.details["aligned_spf"], part.details["aligned_dkim"]) == (False, False)
    assert "cannot pass DMARC" in part.summary


def test_dns_failure_is_error() -> None:
    with DnsServer({}) as server:
        server.servfail.add("_dmarc.example.com")
        resolver = make_resolver([server.nameserver], timeout=1.0)
        found = asyncio.run(fetch_dmarc(resolver, "example.com"))
    part = assess_dmarc(
        found, from_domain="example.com", return_path=None, spf_authorizes=None, dkim_usable=None
    )
    assert part.error and "SERVFAIL" in part.error
    assert part.findings == []
