"""The SPF part: presence, validity, the lookup and void-lookup limits over the include tree,
and the authorization rule, all through the real DNS stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.standins.dns_server import DnsServer
from workers.checks.sender_auth.part import AuthPart
from workers.checks.sender_auth.spf import check_spf, spf_domain_for
from workers.checks.sender_auth.spf_record import SpfSyntaxError, parse_record
from workers.clients.dns import make_resolver
from workers.report.model import Severity

Zones = dict[str, dict[str, list[str]]]


def spf_part(zones: Zones, **kwargs: Any) -> AuthPart:
    arguments: dict[str, Any] = {
        "from_domain": "example.com",
        "provider": "smtp",
        "return_path_domain": None,
        "sending_ips": ("192.0.2.1",),
        "relay_host": None,
    }
    arguments.update(kwargs)
    with DnsServer(zones) as server:
        resolver = make_resolver([server.nameserver], timeout=1.0)
        return asyncio.run(check_spf(resolver=resolver, **arguments))


def spf(record: str, **extra: dict[str, list[str]]) -> Zones:
    zones: Zones = {"example.com": {"TXT": [f'"{record}"']}}
    zones.update(extra)
    return zones


def codes(part: AuthPart) -> list[tuple[str, Severity]]:
    return [(finding.code, finding.severity) for finding in part.findings]


@pytest.mark.parametrize(
    ("provider", "return_path", "expected"),
    [
        ("resend", None, "send.example.com"),
        ("resend", "rp.example.com", "rp.example.com"),
        ("postmark", None, "example.com"),
        ("smtp", None, "example.com"),
        ("brevo", "Bounces.Example.COM.", "bounces.example.com"),
    ],
)
def test_spf_domain_rule(provider: str, return_path: str | None, expected: str) -> None:
    assert spf_domain_for("example.com", provider, return_path) == expected


def test_authorized_ip_passes() -> None:
    zones = spf("v=spf1 include:_spf.example.net -all")
    zones["_spf.example.net"] = {"TXT": ['"v=spf1 ip4:192.0.2.0/24 ~all"']}
    part = spf_part(zones)
    assert part.findings == []
    assert part.details["record"] == "v=spf1 include:_spf.example.net -all"
    assert part.details["ip_results"] == {"192.0.2.1": "pass"}
    assert (part.details["authorizes"], part.details["result"], part.details["lookups"]) == (True, "pass", 1)


def test_missing_record() -> None:
    part = spf_part({"example.com": {"TXT": ['"google-site-verification=abc"']}})
    assert codes(part) == [("spf_missing", Severity.WARN)]
    assert part.details["authorizes"] is False


@pytest.mark.parametrize(
    "records",
    [
        ['"v=spf1 ip4:192.0.2.0/33 -all"'],
        ['"v=spf1 include -all"'],
        ['"v=spf1 -all"', '"v=spf1 +all"'],
        ['"v=spf1 a:example.com \\150all"'],
        ['"v=spf1 redirect=a.example.com redirect=b.example.com"'],
    ],
    ids=["bad-cidr", "include-without-domain", "two-records", "non-ascii", "two-redirects"],
)
def test_invalid_record(records: list[str]) -> None:
    part = spf_part({"example.com": {"TXT": records}})
    assert codes(part) == [("spf_invalid", Severity.FAIL)]
    assert part.details["error"]


def test_include_without_spf_record_is_invalid() -> None:
    part = spf_part(spf("v=spf1 include:nothing.example.net -all"), sending_ips=())
    assert codes(part) == [("spf_invalid", Severity.FAIL)]
    assert "nothing.example.net" in part.findings[0].summary


def test_too_many_lookups_counted_over_the_tree() -> None:
    zones = spf("v=spf1 " + " ".join(f"include:i{n}.example.net" for n in range(4)) + " -all")
    for n in range(4):
        zones[f"i{n}.example.net"] = {
            "TXT": ['"v=spf1 a mx exists:x.example.net ~all"'],
            "A": ["198.51.100.1"],
        }
        zones[f"i{n}.example.net"]["MX"] = ["10 mx.example.net."]
    part = spf_part(zones, sending_ips=())
    assert part.details["lookups"] == 16
    assert codes(part) == [("spf_too_many_lookups", Severity.FAIL)]
    assert "16 DNS lookups" in part.findings[0].summary


def test_exactly_ten_lookups_is_fine() -> None:
    zones = spf("v=spf1 " + " ".join(f"a:h{n}.example.net" for n in range(10)) + " -all")
    zones.update({f"h{n}.example.net": {"A": [f"198.51.100.{n}"]} for n in range(10)})
    part = spf_part(zones, sending_ips=())
    assert (part.details["lookups"], part.findings) == (10, [])


def test_too_many_void_lookups() -> None:
    zones = spf("v=spf1 a:gone1.example.net mx:gone2.example.net a:gone3.example.net ip4:192.0.2.1 -all")
    part = spf_part(zones)
    assert part.details["void_lookups"] == 3
    assert codes(part) == [("spf_too_many_lookups", Severity.FAIL)]
    assert "void" in part.findings[0].summary


def test_include_loop_is_bounded() -> None:
    zones = spf("v=spf1 include:loop.example.net -all")
    zones["loop.example.net"] = {"TXT": ['"v=spf1 include:loop.example.net -all"']}
    part = spf_part(zones, sending_ips=())
    assert ("spf_too_many_lookups", Severity.FAIL) in codes(part)


def test_redirect_is_followed_and_authorizes() -> None:
    zones = spf("v=spf1 redirect=_spf.example.com")
    zones["_spf.example.com"] = {"TXT": ['"v=spf1 ip4:192.0.2.1 -all"']}
    part = spf_part(zones)
    assert part.details["includes"] == ["_spf.example.com"]
    assert (part.details["authorizes"], part.findings) == (True, [])


def test_softfail_is_not_authorized() -> None:
    part = spf_part(spf("v=spf1 ip4:198.51.100.0/24 ~all"))
    assert part.details["ip_results"] == {"192.0.2.1": "softfail"}
    assert codes(part) == [("spf_provider_not_authorized", Severity.WARN)]


def test_dns_failure_during_evaluation_is_error() -> None:
    zones = spf("v=spf1 include:_spf.example.net -all")
    with DnsServer(zones) as server:
        server.servfail.add("_spf.example.net")
        resolver = make_resolver([server.nameserver], timeout=1.0)
        part = asyncio.run(
            check_spf(
                resolver=resolver,
                from_domain="example.com",
                provider="smtp",
                return_path_domain=None,
                sending_ips=("192.0.2.1",),
                relay_host=None,
            )
        )
    assert part.error and "SERVFAIL" in part.error
    assert part.findings == []


@pytest.mark.parametrize(
    "text",
    ["v=spf1 ip4:1.2.3.4 -all", "V=SPF1 A/24//64 MX:%{d}.example.com ?ALL exp=e.%{d}", "v=spf1 foo=bar"],
)
def test_parser_accepts(text: str) -> None:
    assert parse_record(text).text == text


@pytest.mark.parametrize(
    "text",
    ["v=spf1 ip4:1.2.3", "v=spf1 a:museum", "v=spf1 mx//129", "v=spf1 exists:%{z}.example.com", "v=spf1 -"],
)
def test_parser_rejects(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_record(text)
