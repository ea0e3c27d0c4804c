"""make_resolver builds a cache-free resolver aimed at DNS_NAMESERVERS; real queries to the stand-in."""

from __future__ import annotations

import asyncio

import dns.asyncresolver
import dns.exception
import dns.resolver
import pytest

from tests.standins.dns_server import DnsServer
from workers.clients.dns import (
    DnsUnavailable,
    broken_resolver_summary,
    lookup,
    make_resolver,
    parse_nameserver,
    top_level_domain,
    vantage_problem,
)

BIG_TXT = " ".join(f'"{"k" * 250}"' for _ in range(10))


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("192.0.2.1", ("192.0.2.1", 53)),
        (" 192.0.2.1:5353 ", ("192.0.2.1", 5353)),
        ("2001:db8::1", ("2001:db8::1", 53)),
        ("[2001:db8::1]", ("2001:db8::1", 53)),
        ("[2001:db8::1]:5353", ("2001:db8::1", 5353)),
    ],
)
def test_parse_nameserver(entry: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(entry) == expected


@pytest.mark.parametrize(
    "entry", ["dns.example.com", "192.0.2.1:0", "192.0.2.1:http", "[2001:db8::1", "[::1]x", "1.2.3.4:70000"]
)
def test_parse_nameserver_rejects(entry: str) -> None:
    with pytest.raises(ValueError, match="bad nameserver"):
        parse_nameserver(entry)


def test_resolver_settings() -> None:
    resolver = make_resolver(["192.0.2.53:5353", "[2001:db8::53]"], timeout=1.5)
    assert [(ns.address, ns.port) for ns in resolver.nameservers] == [  # type: ignore[union-attr]
        ("192.0.2.53", 5353),
        ("2001:db8::53", 53),
    ]
    assert (resolver.timeout, resolver.lifetime, resolver.cache) == (1.5, 1.5, None)
    assert (resolver.edns, resolver.payload) == (0, 1232)


def test_empty_nameservers_use_the_system_configuration() -> None:
    try:
        resolver = make_resolver([], timeout=2.0)
    except dns.resolver.NoResolverConfiguration:
        pytest.skip("this machine has no resolv.conf")
    assert resolver.nameservers
    assert (resolver.timeout, resolver.lifetime, resolver.cache) == (2.0, 2.0, None)


def test_queries_over_udp_and_falls_back_to_tcp_for_big_answers() -> None:
    async def lookups(resolver: dns.asyncresolver.Resolver) -> tuple[str, int]:
        mx = await resolver.resolve("example.com", "MX")
        big = await resolver.resolve("big.example.com", "TXT")
        return mx.rrset[0].to_text(), len(big.rrset[0].strings)  # type: ignore[index]

    zones = {"example.com": {"MX": ["10 mx.example.com."]}, "big.example.com": {"TXT": [BIG_TXT]}}
    with DnsServer(zones) as server:
        resolver = make_resolver([server.nameserver], timeout=2.0)
        assert asyncio.run(lookups(resolver)) == ("10 mx.example.com.", 10)
        assert server.tcp_queries == [("big.example.com", "TXT")]
        assert server.queries.count(("big.example.com", "TXT")) == 2  # UDP (truncated), then TCP


def test_no_cache_between_queries() -> None:
    async def twice(resolver: dns.asyncresolver.Resolver, server: DnsServer) -> list[str]:
        first = await resolver.resolve("example.com", "A")
        server.remove("example.com", "A")
        server.add("example.com", "A", "192.0.2.2")
        second = await resolver.resolve("example.com", "A")
        return [first.rrset[0].to_text(), second.rrset[0].to_text()]  # type: ignore[index]

    with DnsServer({"example.com": {"A": ["192.0.2.1"]}}, ttl=3600) as server:
        resolver = make_resolver([server.nameserver], timeout=2.0)
        assert asyncio.run(twice(resolver, server)) == ["192.0.2.1", "192.0.2.2"]


def test_timeout_bounds_the_whole_lookup() -> None:
    with DnsServer({"example.com": {"A": ["192.0.2.1"]}}) as server:
        server.drop = True
        resolver = make_resolver([server.nameserver], timeout=0.3)
        with pytest.raises(dns.exception.Timeout):
            asyncio.run(resolver.resolve("example.com", "A"))


def test_top_level_domain() -> None:
    assert top_level_domain("Mail.Example.COM.") == "com."
    assert top_level_domain("com") == "com."
    assert top_level_domain("") == "."


def test_control_query_is_asked_once_per_tld_and_resolver() -> None:
    async def many(resolver: dns.asyncresolver.Resolver) -> list[str | None]:
        names = ["a.example.com", "b.example.com", "example.net"]
        return list(await asyncio.gather(*(vantage_problem(resolver, names) for _ in range(5))))

    with DnsServer({"example.com": {"A": ["192.0.2.1"]}, "example.net": {"A": ["192.0.2.2"]}}) as server:
        resolver = make_resolver([server.nameserver], timeout=1.0)
        assert asyncio.run(many(resolver)) == [None] * 5
        assert asyncio.run(vantage_problem(resolver, ["other.com"])) is None
        assert sorted(server.queries) == [("com", "SOA"), ("net", "SOA")]


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("nxdomain", "was answered NXDOMAIN (no such name)"),
        ("servfail", "was answered SERVFAIL"),
        ("refused", "was answered REFUSED"),
        ("timeout", "timed out"),
    ],
)
def test_broken_resolver_fails_the_control_query(mode: str, said: str) -> None:
    with DnsServer({"example.com": {"A": ["192.0.2.1"]}}) as server:
        server.broken = mode
        resolver = make_resolver([server.nameserver], timeout=0.3)
        problem = asyncio.run(vantage_problem(resolver, ["example.com"]))
        assert problem == f"the control query (SOA of com.) {said}"
        summary = broken_resolver_summary(resolver, problem)
    assert f"resolver {server.nameserver}, from DNS_NAMESERVERS" in summary
    assert "broken or filtering" in summary


def test_a_tld_that_does_not_exist_is_not_our_resolver_failing() -> None:
    with DnsServer({"gmail.com": {"MX": ["5 mx.gmail.com."]}}) as server:
        resolver = make_resolver([server.nameserver], timeout=1.0)
        assert asyncio.run(vantage_problem(resolver, ["gmail.cmo"])) is None
        assert server.queries == [("cmo", "SOA"), ("", "SOA")]


def test_lookup_failures_read_as_sentences() -> None:
    with DnsServer({"example.com": {"A": ["192.0.2.1"]}}) as server:
        server.refuse.add("example.com")
        resolver = make_resolver([server.nameserver], timeout=1.0)
        with pytest.raises(DnsUnavailable, match=r"^the TXT lookup of example.com was answered REFUSED$"):
            asyncio.run(lookup(resolver, "example.com", "TXT"))
