"""The `blocklists` check against a real DNS server on 127.0.0.1 playing the DNSBL zones."""

import asyncio
from collections.abc import Iterator, Sequence

import dns.message
import pytest

from tests.standins.dns_server import BROKEN_MODES, DnsServer
from workers.checks.blocklists import (
    DEFAULT_DOMAIN_ZONES,
    DEFAULT_IP_ZONES,
    check_blocklists,
    public_zone_name,
    query_name,
)
from workers.clients.dns import make_resolver
from workers.report.model import CheckResult, Severity, Status

ZEN, SPAMCOP, DBL = "zen.spamhaus.org", "bl.spamcop.net", "dbl.spamhaus.org"


class SilentZoneDnsServer(DnsServer):
    """The stand-in, except that queries under `silent` zones get no reply (a dead DNSBL)."""

    def __init__(self, silent: Sequence[str]) -> None:
        super().__init__()
        self.silent = tuple(silent)

    def answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        qname = dns.message.from_wire(wire).question[0].name.to_text().rstrip(".").lower()
        if qname.endswith(self.silent):
            return None
        return super().answer(wire, udp=udp)


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


def run(
    server: DnsServer,
    *,
    ips: Sequence[str] = (),
    domain: str | None = None,
    ip_zones: Sequence[str] | None = (ZEN, SPAMCOP),
    domain_zones: Sequence[str] | None = (DBL,),
    dns_timeout: float = 1.0,
    timeout: float = 5.0,
) -> CheckResult:
    resolver = make_resolver([server.nameserver], dns_timeout)
    return asyncio.run(
        check_blocklists(
            sending_ips=ips,
            sender_domain=domain,
            ip_zones=ip_zones,
            domain_zones=domain_zones,
            resolver=resolver,
            timeout=timeout,
        )
    )


def codes(result: CheckResult) -> list[str]:
    return [finding.code for finding in result.findings]


def test_listed_ipv4_is_fail_with_zone_code_and_reason(dns_server: DnsServer) -> None:
    dns_server.add("2.0.0.127.zen.spamhaus.org", "A", "127.0.0.2")
    dns_server.add("2.0.0.127.zen.spamhaus.org", "TXT", '"https://check.spamhaus.org/sbl/query/SBL1"')
    result = run(dns_server, ips=["127.0.0.2"])
    assert result.status is Status.FAIL
    assert codes(result) == ["ip_blocklisted"]
    finding = result.findings[0]
    assert finding.severity is Severity.FAIL
    assert "zen.spamhaus.org" in finding.summary and "127.0.0.2 SBL" in finding.summary
    zen = result.details["zones"][ZEN]
    assert zen == {
        "kind": "ip",
        "listed": ["127.0.0.2"],
        "codes": ["127.0.0.2"],
        "reason": "https://check.spamhaus.org/sbl/query/SBL1",
        "error": None,
        "advice": None,
    }
    assert result.details["zones"][SPAMCOP]["listed"] == []
    assert result.details["listed"] == [
        {
            "kind": "ip",
            "item": "127.0.0.2",
            "zone": ZEN,
            "codes": ["127.0.0.2"],
            "reason": "https://check.spamhaus.org/sbl/query/SBL1",
        }
    ]
    assert ("2.0.0.127.zen.spamhaus.org", "TXT") in dns_server.queries


def test_not_listed_is_ok_and_queries_reversed_octets(dns_server: DnsServer) -> None:
    result = run(dns_server, ips=["192.0.2.10", "198.51.100.7"])
    assert result.status is Status.OK
    assert result.findings == ()
    assert result.details["listed"] == []
    assert result.details["ip_part_skipped"] is False
    assert sorted(query for query in dns_server.queries if query[1] == "A") == [
        ("10.2.0.192.bl.spamcop.net", "A"),
        ("10.2.0.192.zen.spamhaus.org", "A"),
        ("7.100.51.198.bl.spamcop.net", "A"),
        ("7.100.51.198.zen.spamhaus.org", "A"),
    ]
    # "Not listed" is only believed after one control query per TLD (the root: no .net/.org here).
    assert sorted(query for query in dns_server.queries if query[1] == "SOA") == [
        ("", "SOA"),
        ("net", "SOA"),
        ("org", "SOA"),
    ]
    assert all(zone["error"] is None for zone in result.details["zones"].values())


def test_spamhaus_refusal_code_is_never_a_listing(dns_server: DnsServer) -> None:
    dns_server.add("10.2.0.192.zen.spamhaus.org", "A", "127.255.255.254")
    result = run(dns_server, ips=["192.0.2.10"])
    assert result.status is Status.OK  # SpamCop answered; ZEN is unknown, not "listed"
    assert codes(result) == ["blocklist_query_refused"]
    assert result.findings[0].severity is Severity.INFO
    zen = result.details["zones"][ZEN]
    assert zen["listed"] == [] and zen["codes"] == []
    assert "127.255.255.254" in zen["error"]
    assert "DQS key" in zen["advice"] and "DNS_NAMESERVERS" in zen["advice"]
    assert result.details["listed"] == []
    assert "zen.spamhaus.org could not be read" in result.summary


def test_every_zone_refusing_is_error(dns_server: DnsServer) -> None:
    dns_server.add("10.2.0.192.zen.spamhaus.org", "A", "127.255.255.254")
    dns_server.add("10.2.0.192.bl.spamcop.net", "A", "127.255.255.255")
    result = run(dns_server, ips=["192.0.2.10"])
    assert result.status is Status.ERROR
    assert codes(result) == ["blocklist_query_refused", "blocklist_query_refused"]


def test_uribl_style_127_0_0_1_is_a_refusal(dns_server: DnsServer) -> None:
    dns_server.add("example.org.multi.uribl.com", "A", "127.0.0.1")
    result = run(dns_server, domain="example.org", domain_zones=["multi.uribl.com"])
    assert result.status is Status.ERROR
    assert codes(result) == ["blocklist_query_refused"]


def test_answer_outside_loopback_is_zone_error_not_listing(dns_server: DnsServer) -> None:
    # An ISP resolver that rewrites NXDOMAIN to its ad server must not make us look listed.
    dns_server.add("10.2.0.192.zen.spamhaus.org", "A", "198.51.100.80")
    result = run(dns_server, ips=["192.0.2.10"])
    assert result.status is Status.OK
    assert result.findings == ()
    assert "outside 127.0.0.0/8" in result.details["zones"][ZEN]["error"]


def test_silent_zone_is_unknown_while_others_answer() -> None:
    with SilentZoneDnsServer(silent=[SPAMCOP]) as server:
        result = run(server, ips=["192.0.2.10"], dns_timeout=0.3)
    assert result.status is Status.OK
    assert result.details["zones"][SPAMCOP]["error"] == "the lookup timed out"
    assert result.details["zones"][ZEN]["error"] is None
    assert "bl.spamcop.net could not be read: the lookup timed out." in result.summary


def test_servfail_zone_is_unknown(dns_server: DnsServer) -> None:
    dns_server.servfail.add("10.2.0.192.bl.spamcop.net")
    dns_server.add("10.2.0.192.zen.spamhaus.org", "A", "127.0.0.4")
    result = run(dns_server, ips=["192.0.2.10"])
    assert result.status is Status.FAIL
    assert codes(result) == ["ip_blocklisted"]
    assert "SERVFAIL" in result.details["zones"][SPAMCOP]["error"]


def test_ipv6_uses_nibble_names(dns_server: DnsServer) -> None:
    nibbles = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
    dns_server.add(f"{nibbles}.zen.spamhaus.org", "A", "127.0.0.3")
    result = run(dns_server, ips=["2001:db8::1"], ip_zones=[ZEN])
    assert result.status is Status.FAIL
    assert codes(result) == ["ip_blocklisted"]
    assert (f"{nibbles}.zen.spamhaus.org", "A") in dns_server.queries


def test_listed_domain_is_domain_blocklisted(dns_server: DnsServer) -> None:
    dns_server.add("dbltest.com.dbl.spamhaus.org", "A", "127.0.1.2")
    result = run(dns_server, ips=["192.0.2.10"], domain="DBLtest.com.")
    assert result.status is Status.FAIL
    assert codes(result) == ["domain_blocklisted"]
    assert "dbl.spamhaus.org" in result.findings[0].summary
    assert "127.0.1.2 spam domain" in result.findings[0].summary
    assert result.details["domain"] == "dbltest.com"
    assert result.details["zones"][DBL]["kind"] == "domain"
    assert ("dbltest.com.dbl.spamhaus.org", "A") in dns_server.queries


def test_all_zones_down_is_error() -> None:
    with SilentZoneDnsServer(silent=[ZEN, SPAMCOP, DBL]) as server:
        result = run(server, ips=["192.0.2.10"], domain="example.org", dns_timeout=0.2)
    assert result.status is Status.ERROR
    assert result.findings == ()
    assert {zone["error"] for zone in result.details["zones"].values()} == {"the lookup timed out"}
    assert "DNS_NAMESERVERS" not in result.summary  # the control query worked: the zones are down


def test_no_ip_zone_readable_is_error_even_when_domain_zones_answer(dns_server: DnsServer) -> None:
    dns_server.add("10.2.0.192.zen.spamhaus.org", "A", "127.255.255.254")
    dns_server.servfail.add("10.2.0.192.bl.spamcop.net")
    result = run(dns_server, ips=["192.0.2.10"], domain="example.org")
    assert result.details["zones"][DBL]["error"] is None  # the domain list answered "not listed"
    assert result.status is Status.ERROR
    assert result.summary.startswith("No IP blocklist zone could be read")


@pytest.mark.parametrize("mode", BROKEN_MODES)
def test_broken_resolver_is_error_not_clean(dns_server: DnsServer, mode: str) -> None:
    dns_server.broken = mode
    result = run(dns_server, ips=["192.0.2.10"], domain="example.org", dns_timeout=0.3)
    assert result.status is Status.ERROR
    assert result.findings == ()
    assert "DNS_NAMESERVERS" in result.summary
    assert "zones" not in result.details  # no zone is shown as "not listed"
    assert result.details["resolver_problem"].startswith("the control query (SOA of ")


@pytest.mark.parametrize(
    ("zone", "says", "never"),
    [
        (ZEN, "DQS key", "barracudacentral"),
        ("b.barracudacentral.org", "register the resolver", "DQS"),
        (SPAMCOP, "refused or rate-limited the query from this resolver", "Spamhaus"),
        ("psbl.surriel.com", "refused or rate-limited the query from this resolver", "DQS"),
    ],
)
def test_refusal_advice_fits_the_zone(dns_server: DnsServer, zone: str, says: str, never: str) -> None:
    dns_server.add(f"10.2.0.192.{zone}", "A", "127.255.255.254")
    result = run(dns_server, ips=["192.0.2.10"], ip_zones=[zone], domain_zones=())
    assert result.status is Status.ERROR  # the only IP zone could not be read
    assert codes(result) == ["blocklist_query_refused"]
    text = result.findings[0].summary + result.summary + str(result.details["zones"][zone]["advice"])
    assert says in text
    assert never not in text
    assert "listed on" not in result.summary


def test_silent_barracuda_says_to_register_the_resolver() -> None:
    barracuda = "b.barracudacentral.org"
    with SilentZoneDnsServer(silent=[barracuda]) as server:
        result = run(server, ips=["192.0.2.10"], ip_zones=[ZEN, barracuda], dns_timeout=0.3)
    assert result.status is Status.OK
    assert "register the resolver" in result.details["zones"][barracuda]["advice"]
    assert "register the resolver" in result.summary


def test_check_deadline_cancels_slow_lookups(dns_server: DnsServer) -> None:
    dns_server.latency = 1.0
    result = run(dns_server, ips=["192.0.2.10"], dns_timeout=2.0, timeout=0.1)
    assert result.status is Status.ERROR
    assert {zone["error"] for zone in result.details["zones"].values()} == {
        "the lookup did not finish within 0.1 s"
    }


def test_no_sending_ips_skips_ip_part_but_checks_domain(dns_server: DnsServer) -> None:
    result = run(dns_server, ips=[], domain="example.org")
    assert result.status is Status.OK
    assert result.details["ip_part_skipped"] is True
    assert "SENDING_IPS" in result.details["note"]
    assert dns_server.queries == [("example.org.dbl.spamhaus.org", "A"), ("org", "SOA"), ("", "SOA")]


def test_nothing_to_check_is_skipped(dns_server: DnsServer) -> None:
    result = run(dns_server, ips=[], domain=None)
    assert result.status is Status.SKIPPED
    assert dns_server.queries == []


def test_default_zones_are_used_when_none(dns_server: DnsServer) -> None:
    result = run(dns_server, ips=["192.0.2.10"], domain="example.org", ip_zones=None, domain_zones=None)
    assert result.status is Status.OK
    assert set(result.details["zones"]) == set(DEFAULT_IP_ZONES) | set(DEFAULT_DOMAIN_ZONES)
    assert ("10.2.0.192.b.barracudacentral.org", "A") in dns_server.queries
    assert ("example.org.multi.surbl.org", "A") in dns_server.queries


def test_defaults_hold_no_dead_lists() -> None:
    assert not any("sorbs" in zone for zone in DEFAULT_IP_ZONES + DEFAULT_DOMAIN_ZONES)
    assert "dnsbl-2.uceprotect.net" not in DEFAULT_IP_ZONES
    assert "dnsbl-3.uceprotect.net" not in DEFAULT_IP_ZONES


def test_invalid_ips_are_reported_not_queried(dns_server: DnsServer) -> None:
    result = run(dns_server, ips=["not-an-ip"], domain="example.org")
    assert result.details["invalid_ips"] == ["not-an-ip"]
    assert result.details["ip_part_skipped"] is True


def test_query_names() -> None:
    assert query_name("203.0.113.79", "ip", "zen.spamhaus.org.") == "79.113.0.203.zen.spamhaus.org"
    assert query_name("::ffff:203.0.113.79", "ip", ZEN) == "79.113.0.203.zen.spamhaus.org"
    assert query_name("example.com", "domain", DBL) == "example.com.dbl.spamhaus.org"


def test_dqs_key_is_masked_in_results(dns_server: DnsServer) -> None:
    key = "abcdefghijklmnopqrstuvwxyz"
    zone = f"{key}.zen.dq.spamhaus.net"
    assert public_zone_name(zone) == "<dqs-key>.zen.dq.spamhaus.net"
    dns_server.add(f"10.2.0.192.{zone}", "A", "127.0.0.2")
    result = run(dns_server, ips=["192.0.2.10"], ip_zones=[zone])
    assert result.status is Status.FAIL
    assert "127.0.0.2 SBL" in result.summary
    assert key not in repr(result)
