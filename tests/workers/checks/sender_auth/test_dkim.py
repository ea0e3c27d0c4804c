"""The DKIM part: selectors, CNAMEs, revoked, weak and broken keys, through the real DNS stand-in."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.standins.dkim_keys import dkim_record, rsa_public_der, txt_record
from tests.standins.dns_server import DnsServer
from workers.checks.sender_auth.dkim import DkimRecordError, check_dkim, parse_key_record
from workers.checks.sender_auth.part import AuthPart
from workers.clients.dns import make_resolver
from workers.report.model import Severity

Zones = dict[str, dict[str, list[str]]]


def dkim_part(zones: Zones, selectors: Sequence[str] = ("s1",), provider: str = "smtp") -> AuthPart:
    with DnsServer(zones) as server:
        resolver = make_resolver([server.nameserver], timeout=1.0)
        return asyncio.run(
            check_dkim(resolver=resolver, from_domain="example.com", provider=provider, selectors=selectors)
        )


def key_at(selector: str, record: str) -> Zones:
    return {f"{selector}._domainkey.example.com": {"TXT": [record]}}


def codes(part: AuthPart) -> list[tuple[str, Severity]]:
    return [(finding.code, finding.severity) for finding in part.findings]


@pytest.mark.parametrize(
    ("bits", "expected"),
    [(512, [("dkim_weak_key", Severity.FAIL)]), (1024, [("dkim_weak_key", Severity.WARN)]), (2048, [])],
)
def test_rsa_key_strength(bits: int, expected: list[tuple[str, Severity]]) -> None:
    part = dkim_part(key_at("s1", dkim_record(bits)))
    assert part.details["selectors"]["s1"] == {
        "name": "s1._domainkey.example.com",
        "found": True,
        "key_type": "rsa",
        "key_bits": bits,
        "revoked": False,
    }
    assert codes(part) == expected


def test_ed25519_key() -> None:
    part = dkim_part(key_at("s1", dkim_record(key_type="ed25519")))
    assert (part.details["selectors"]["s1"]["key_type"], part.details["selectors"]["s1"]["key_bits"]) == (
        "ed25519",
        256,
    )
    assert part.findings == []


def test_revoked_key_is_missing() -> None:
    part = dkim_part(key_at("s1", '"v=DKIM1; k=rsa; p="'))
    assert part.details["selectors"]["s1"]["revoked"] is True
    assert codes(part) == [("dkim_missing", Severity.FAIL)]
    assert "revoked" in part.findings[0].summary


def test_no_selector_found_is_missing() -> None:
    part = dkim_part({}, selectors=("s1", "s2"))
    assert [entry["found"] for entry in part.details["selectors"].values()] == [False, False]
    assert codes(part) == [("dkim_missing", Severity.FAIL)]


def test_one_usable_selector_is_enough() -> None:
    zones = key_at("s2", dkim_record(2048))
    zones.update(key_at("s1", '"v=DKIM1; p="'))
    part = dkim_part(zones, selectors=("s1", "s2", "s3"))
    assert part.findings == []
    assert "s2 (rsa 2048-bit)" in part.summary


def test_weak_key_severity_is_the_worst() -> None:
    zones = key_at("s1", dkim_record(1024))
    zones.update(key_at("s2", dkim_record(512)))
    part = dkim_part(zones, selectors=("s1", "s2"))
    assert codes(part) == [("dkim_weak_key", Severity.FAIL)]
    assert "s1 1024-bit, s2 512-bit" in part.findings[0].summary


def test_cname_to_provider_is_followed() -> None:
    zones: Zones = {"brevo1._domainkey.example.com": {"CNAME": ["b1.example-com.dkim.brevo.com."]}}
    zones["b1.example-com.dkim.brevo.com"] = {"TXT": [dkim_record(2048)]}
    part = dkim_part(zones, selectors=(), provider="brevo")
    assert list(part.details["selectors"]) == ["brevo1", "brevo2", "mail"]
    assert part.details["selectors"]["brevo1"]["key_bits"] == 2048
    assert part.findings == []


def test_configured_selectors_win_over_provider_defaults() -> None:
    part = dkim_part(key_at("custom", dkim_record(2048)), selectors=("custom",), provider="resend")
    assert list(part.details["selectors"]) == ["custom"]


def test_unknown_provider_without_selectors_is_skipped() -> None:
    part = dkim_part({}, selectors=(), provider="postmark")
    assert part.findings == []
    assert part.details == {"selectors": {}, "skipped_reason": part.details["skipped_reason"]}
    assert "DKIM_SELECTORS" in part.details["skipped_reason"]


def test_pkcs1_key_is_understood() -> None:
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = numbers.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    record = txt_record(f"k=rsa; p={base64.b64encode(der).decode()}")
    assert dkim_part(key_at("s1", record)).details["selectors"]["s1"]["key_bits"] == 2048


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("v=DKIM1; k=rsa", "no p= tag"),
        ("v=DKIM1; p=%%%", "not base64"),
        ("v=DKIM1; p=" + base64.b64encode(b"not a key").decode(), "not a DER public key"),
        ("k=rsa; v=DKIM1; p=AAAA", "first tag"),
        ("v=DKIM2; p=AAAA", "DKIM1"),
        ("v=DKIM1; k=dsa; p=AAAA", "unknown key type"),
        ("v=DKIM1; k=ed25519; p=AAAA", "ed25519 key is 3 bytes"),
        ("v=DKIM1; garbage; p=AAAA", "malformed tag"),
    ],
)
def test_broken_records(text: str, reason: str) -> None:
    with pytest.raises(DkimRecordError, match=reason):
        parse_key_record(text)


def test_broken_record_is_found_but_missing() -> None:
    part = dkim_part(key_at("s1", '"v=DKIM1; k=rsa; p=bm90IGEga2V5"'))
    entry = part.details["selectors"]["s1"]
    assert (entry["found"], entry["error"]) == (True, "p= is not a DER public key")
    assert codes(part) == [("dkim_missing", Severity.FAIL)]


def test_whitespace_inside_the_key_is_ignored() -> None:
    encoded = base64.b64encode(rsa_public_der(1024)).decode()
    spaced = " ".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    assert parse_key_record(f"v=DKIM1; k=rsa; p={spaced}")["key_bits"] == 1024


def test_dns_failure_is_error() -> None:
    with DnsServer(key_at("s1", dkim_record(2048))) as server:
        server.refuse.add("s1._domainkey.example.com")
        resolver = make_resolver([server.nameserver], timeout=1.0)
        part = asyncio.run(
            check_dkim(resolver=resolver, from_domain="example.com", provider="smtp", selectors=("s1",))
        )
    assert part.error and "REFUSED" in part.error
    assert part.findings == []
