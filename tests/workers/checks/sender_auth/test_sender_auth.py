"""check_sender_auth end to end through a real DNS server: each provider's rules, status, DNS down."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.standins.dns_server import BROKEN_MODES, DnsServer
from tests.standins.mail_dns import RELAY_IP, Zones, sender_zones
from workers.checks.sender_auth.check import check_sender_auth
from workers.clients.dns import make_resolver
from workers.report.model import CheckResult, Severity, Status

PROVIDERS = ("resend", "postmark", "brevo", "smtp2go", "smtp")


def run(
    zones: Zones, *, server_setup: Any = None, dns_timeout: float = 1.0, timeout: float = 5.0, **kwargs: Any
) -> tuple[CheckResult, DnsServer]:
    arguments: dict[str, Any] = {
        "from_domain": "example.com",
        "provider": "smtp",
        "return_path_domain": None,
        "dkim_selectors": (),
        "sending_ips": (),
        "relay_host": None,
    }
    arguments.update(kwargs)
    with DnsServer(zones) as server:
        if server_setup:
            server_setup(server)
        resolver = make_resolver([server.nameserver], timeout=dns_timeout)
        result = asyncio.run(check_sender_auth(**arguments, resolver=resolver, timeout=timeout))
    return result, server


def codes(result: CheckResult) -> dict[str, Severity]:
    return {finding.code: finding.severity for finding in result.findings}


SELECTORS = {"postmark": ("20240101000000pm",), "smtp2go": ("s123456",), "smtp": ("mail",)}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_healthy_setup_is_ok(provider: str) -> None:
    result, _ = run(
        sender_zones(provider),
        provider=provider,
        dkim_selectors=SELECTORS.get(provider, ()),
        relay_host="smtp.example.com",
    )
    assert (result.status, result.findings) == (Status.OK, ())
    assert result.details["dkim"]["selectors"]
    found = [entry for entry in result.details["dkim"]["selectors"].values() if entry["found"]]
    assert found and all(entry["key_bits"] == 2048 for entry in found)
    assert result.details["dmarc"]["policy"] == "quarantine"
    assert result.details["dmarc"]["aligned_dkim"] is True


def test_skipped_without_from_address() -> None:
    result, server = run({}, from_domain=None)
    assert result.status is Status.SKIPPED
    assert result.summary == (
        "SPF, DKIM and DMARC were not checked: COURIER_SMTP_FROM_ADDRESS (the sender) is not set."
    )
    assert server.queries == []


def test_resend_checks_send_subdomain_for_amazonses() -> None:
    result, _ = run(sender_zones("resend"), provider="resend")
    spf = result.details["spf"]
    assert (spf["domain"], spf["authorizes"], spf["includes"]) == (
        "send.example.com",
        True,
        ["amazonses.com"],
    )
    assert result.details["dmarc"]["aligned_spf"] is True  # relaxed: send.example.com ~ example.com


def test_resend_without_amazonses_is_not_authorized() -> None:
    zones = sender_zones("resend")
    zones["send.example.com"]["TXT"] = ['"v=spf1 include:_spf.google.com ~all"']
    zones["_spf.google.com"] = {"TXT": ['"v=spf1 ip4:35.190.247.0/24 ~all"']}
    result, _ = run(zones, provider="resend")
    assert result.status is Status.WARN
    assert codes(result) == {"spf_provider_not_authorized": Severity.WARN}
    assert result.details["spf"]["authorizes"] is False
    assert result.details["dmarc"]["aligned_spf"] is False


def test_resend_amazonses_nested_include_counts() -> None:
    zones = sender_zones("resend")
    zones["send.example.com"]["TXT"] = ['"v=spf1 include:_spf.example.com ~all"']
    zones["_spf.example.com"] = {"TXT": ['"v=spf1 include:amazonses.com -all"']}
    result, _ = run(zones, provider="resend")
    assert result.status is Status.OK
    assert result.details["spf"]["lookups"] == 2


def test_resend_missing_return_path_spf() -> None:
    zones = sender_zones("resend")
    del zones["send.example.com"]
    result, _ = run(zones, provider="resend")
    assert codes(result) == {"spf_missing": Severity.WARN}
    assert "amazonses.com" in result.findings[0].summary


def test_explicit_return_path_overrides_provider_default() -> None:
    zones = sender_zones("resend")
    zones["bounce.example.com"] = zones.pop("send.example.com")
    result, _ = run(zones, provider="resend", return_path_domain="Bounce.Example.com.")
    assert result.status is Status.OK
    assert result.details["spf"]["domain"] == "bounce.example.com"


def test_smtp_authorizes_sending_ips_by_evaluation() -> None:
    result, _ = run(sender_zones("smtp"), sending_ips=(RELAY_IP, "192.0.2.99"))
    assert codes(result) == {"spf_provider_not_authorized": Severity.WARN}
    spf = result.details["spf"]
    assert spf["ip_results"] == {RELAY_IP: "pass", "192.0.2.99": "fail"}
    assert (spf["authorizes"], spf["result"]) == (False, "fail")


def test_smtp_uses_relay_addresses_through_our_resolver() -> None:
    zones = sender_zones("smtp")
    zones["relay.example.net"] = {"A": [RELAY_IP], "AAAA": ["2001:db8::25"]}
    result, server = run(zones, relay_host="relay.example.net")
    spf = result.details["spf"]
    assert spf["sending_ips"] == [RELAY_IP, "2001:db8::25"]
    assert spf["ip_results"] == {RELAY_IP: "pass", "2001:db8::25": "fail"}
    assert ("relay.example.net", "AAAA") in server.queries
    assert codes(result) == {"spf_provider_not_authorized": Severity.WARN}


def test_smtp_relay_given_as_ip_literal() -> None:
    result, _ = run(sender_zones("smtp"), relay_host=RELAY_IP)
    assert result.details["spf"]["authorizes"] is True
    assert result.status is Status.OK


def test_smtp_without_any_address_cannot_decide_authorization() -> None:
    result, _ = run(sender_zones("smtp"))
    assert result.details["spf"]["authorizes"] is None
    assert "SENDING_IPS" in result.details["spf"]["note"]
    assert result.status is Status.OK


@pytest.mark.parametrize("provider", ["postmark", "brevo", "smtp2go"])
def test_own_return_path_providers_only_validate_from_domain_spf(provider: str) -> None:
    zones = sender_zones(provider)
    zones["example.com"]["TXT"] = ['"v=spf1 -all"']  # authorizes nobody, which is fine for them
    result, _ = run(zones, provider=provider, dkim_selectors=SELECTORS.get(provider, ()))
    assert result.status is Status.OK
    assert (result.details["spf"]["domain"], result.details["spf"]["authorizes"]) == ("example.com", None)
    assert result.details["dmarc"]["aligned_spf"] is False  # the bounce domain is the provider's


@pytest.mark.parametrize("provider", ["postmark", "brevo", "smtp2go"])
def test_own_return_path_providers_missing_spf_is_a_warning(provider: str) -> None:
    zones = sender_zones(provider)
    del zones["example.com"]
    result, _ = run(zones, provider=provider, dkim_selectors=SELECTORS.get(provider, ()))
    assert codes(result) == {"spf_missing": Severity.WARN}
    assert result.status is Status.WARN


def test_postmark_explicit_return_path_is_validated() -> None:
    zones = sender_zones("postmark")
    zones["pm.mtasv.net"]["TXT"] = ['"v=spf1 include:spf.mtasv.net ~al"']
    result, _ = run(zones, provider="postmark", return_path_domain="pm-bounces.example.com")
    assert codes(result)["spf_invalid"] is Severity.FAIL
    assert result.status is Status.FAIL
    assert result.details["spf"]["domain"] == "pm-bounces.example.com"


@pytest.mark.parametrize("provider", ["postmark", "smtp2go", "smtp"])
def test_dkim_without_selectors_is_skipped_never_missing(provider: str) -> None:
    result, _ = run(sender_zones(provider), provider=provider, relay_host="smtp.example.com")
    assert "dkim_missing" not in codes(result)
    assert "DKIM_SELECTORS" in result.details["dkim"]["skipped_reason"]
    assert result.details["dmarc"]["aligned_dkim"] is None


def test_brevo_default_selectors_follow_cnames() -> None:
    result, _ = run(sender_zones("brevo"), provider="brevo")
    selectors = result.details["dkim"]["selectors"]
    assert list(selectors) == ["brevo1", "brevo2", "mail"]
    assert [selectors[s]["found"] for s in selectors] == [True, True, False]
    assert result.status is Status.OK


def test_findings_decide_status_fail_over_warn() -> None:
    zones = sender_zones("resend", dkim_bits=1024)
    del zones["_dmarc.example.com"]
    zones["send.example.com"]["TXT"] = ['"v=spf1 include:amazonses.com ~all"', '"v=spf1 -all"']
    result, _ = run(zones, provider="resend")
    assert codes(result) == {
        "spf_invalid": Severity.FAIL,
        "dkim_weak_key": Severity.WARN,
        "dmarc_missing": Severity.WARN,
    }
    assert result.status is Status.FAIL


@pytest.mark.parametrize("mode", BROKEN_MODES)
def test_broken_resolver_is_error_with_no_finding(mode: str) -> None:
    def break_it(server: DnsServer) -> None:
        server.broken = mode

    result, server = run(sender_zones("resend"), provider="resend", server_setup=break_it, dns_timeout=0.3)
    assert result.status is Status.ERROR
    assert result.findings == ()  # never spf_missing / dkim_missing / dmarc_missing from our own outage
    assert "DNS_NAMESERVERS" in result.summary
    assert "SOA of com." in result.details["resolver_problem"]
    assert ("com", "SOA") in server.queries


def test_missing_records_count_once_the_control_query_works() -> None:
    zones = sender_zones("resend")
    del zones["_dmarc.example.com"]
    result, server = run(zones, provider="resend")
    assert codes(result) == {"dmarc_missing": Severity.WARN}
    assert "No DMARC record at _dmarc.example.com" in result.summary
    assert server.queries.count(("com", "SOA")) == 1


def test_healthy_records_need_no_control_query() -> None:
    result, server = run(sender_zones("resend"), provider="resend")
    assert (result.status, result.findings) == (Status.OK, ())
    assert not [query for query in server.queries if query[1] == "SOA"]


def test_servfail_on_one_part_is_error_and_keeps_other_evidence() -> None:
    zones = sender_zones("resend", dkim_bits=1024)

    def servfail_dmarc(server: DnsServer) -> None:
        server.servfail.add("_dmarc.example.com")

    result, _ = run(zones, provider="resend", server_setup=servfail_dmarc)
    assert result.status is Status.ERROR
    assert result.details["errors"] == ["the TXT lookup of _dmarc.example.com was answered SERVFAIL"]
    assert "DMARC could not be checked: the TXT lookup of _dmarc.example.com was answered SERVFAIL." in (
        result.summary
    )
    assert "DNS_NAMESERVERS" not in result.summary  # the control query worked: not our resolver
    assert codes(result) == {"dkim_weak_key": Severity.WARN}


def test_check_deadline_gives_error() -> None:
    def slow(server: DnsServer) -> None:
        server.latency = 0.5

    result, _ = run(
        sender_zones("resend"), provider="resend", server_setup=slow, dns_timeout=2.0, timeout=0.1
    )
    assert result.status is Status.ERROR
    assert result.summary == "The SPF, DKIM and DMARC lookups did not finish within 0.1 s."


def test_summaries_are_sentences_not_codes() -> None:
    zones = sender_zones("smtp")
    zones["example.com"]["TXT"] = ['"v=spf1 ' + " ".join(f"a:h{n}.example.com" for n in range(11)) + ' -all"']
    result, _ = run(zones, provider="smtp", relay_host="smtp.example.com", dkim_selectors=("mail",))
    assert "spf_too_many_lookups" in {finding.code for finding in result.findings}
    assert "_" not in result.summary.replace("_dmarc", "").replace("_domainkey", "")
    assert "needs 11 DNS lookups, more than the limit of 10" in result.summary


def test_details_are_json_and_hold_no_key_material() -> None:
    result, _ = run(sender_zones("resend"), provider="resend")
    text = json.dumps(result.to_dict())
    assert "MII" not in text  # DER public keys start MII… in base64; evidence is the size, not the key
