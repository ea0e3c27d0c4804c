"""The DNS stand-in speaks real DNS over UDP and TCP; other tests rely on these semantics."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.standins.dns_server import DnsServer

ZONES = {
    "example.com": {"MX": ["10 mx.example.com."], "TXT": ['"v=spf1 -all"'], "A": ["192.0.2.1"]},
    "www.example.com": {"CNAME": ["example.com."]},
    "dangling.example.com": {"CNAME": ["gone.example.com."]},
    "*.wild.example.com": {"TXT": ['"wild"']},
    "a.b.deep.example.com": {"A": ["192.0.2.9"]},
    "big.example.com": {"TXT": [" ".join(f'"{"x" * 250}"' for _ in range(12))]},
    "mid.example.com": {"TXT": [" ".join(f'"{"m" * 250}"' for _ in range(3))]},
}


def ask(
    server: DnsServer, name: str, rdtype: str, *, tcp: bool = False, edns: int = -1
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=edns)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=2.0)


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as running:
        yield running


@pytest.mark.parametrize("tcp", [False, True])
def test_answers_records_over_udp_and_tcp(server: DnsServer, tcp: bool) -> None:
    reply = ask(server, "Example.COM", "MX", tcp=tcp)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.flags & dns.flags.AA
    # Name compression is case-insensitive, so the exchange may come back in the query's case.
    assert [rd.to_text().lower() for rd in reply.answer[0]] == ["10 mx.example.com."]
    assert server.queries == [("example.com", "MX")]
    assert server.tcp_queries == ([("example.com", "MX")] if tcp else [])


def test_nodata_carries_soa(server: DnsServer) -> None:
    reply = ask(server, "example.com", "AAAA")
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.answer == []
    assert reply.authority[0].rdtype == dns.rdatatype.SOA


def test_empty_non_terminal_is_nodata_and_absent_is_nxdomain(server: DnsServer) -> None:
    assert ask(server, "deep.example.com", "A").rcode() == dns.rcode.NOERROR
    assert ask(server, "b.deep.example.com", "TXT").answer == []
    missing = ask(server, "nope.example.com", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.authority[0].rdtype == dns.rdatatype.SOA


def test_cname_is_chased_inside_the_zones(server: DnsServer) -> None:
    reply = ask(server, "www.example.com", "A")
    assert [rrset.rdtype for rrset in reply.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    assert reply.answer[1][0].to_text() == "192.0.2.1"
    assert ask(server, "dangling.example.com", "A").rcode() == dns.rcode.NXDOMAIN
    assert ask(server, "www.example.com", "CNAME").answer[0][0].to_text() == "example.com."


def test_wildcard_synthesises_for_missing_names_only(server: DnsServer) -> None:
    reply = ask(server, "x.wild.example.com", "TXT")
    assert reply.answer[0].name.to_text() == "x.wild.example.com."
    assert reply.answer[0][0].to_text() == '"wild"'
    assert ask(server, "y.x.wild.example.com", "TXT").answer[0][0].to_text() == '"wild"'
    assert ask(server, "x.wild.example.com", "A").answer == []
    assert ask(server, "wild.example.com", "TXT").answer == []  # the wildcard's parent: ENT


@pytest.mark.parametrize("edns", [-1, 0])
def test_large_udp_answer_truncates_and_tcp_carries_it(server: DnsServer, edns: int) -> None:
    truncated = ask(server, "big.example.com", "TXT", edns=edns)
    assert truncated.flags & dns.flags.TC
    assert truncated.answer == []
    full = ask(server, "big.example.com", "TXT", tcp=True)
    assert len(full.answer[0][0].strings) == 12


def test_edns_payload_lifts_the_512_octet_udp_limit(server: DnsServer) -> None:
    assert ask(server, "mid.example.com", "TXT").flags & dns.flags.TC
    reply = ask(server, "mid.example.com", "TXT", edns=0)  # dnspython advertises 1232 octets
    assert not reply.flags & dns.flags.TC
    assert len(reply.answer[0][0].strings) == 3


def test_refuse_and_servfail_sets(server: DnsServer) -> None:
    server.refuse.add("example.com")
    server.servfail.add("www.example.com")
    assert ask(server, "example.com", "A").rcode() == dns.rcode.REFUSED
    assert ask(server, "www.example.com", "A").rcode() == dns.rcode.SERVFAIL


def test_drop_never_answers(server: DnsServer) -> None:
    server.drop = True
    query = dns.message.make_query("example.com", "A")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, server.host, port=server.port, timeout=0.2)
    with pytest.raises(dns.exception.Timeout):
        dns.query.tcp(query, server.host, port=server.port, timeout=0.2)
    assert server.queries == [("example.com", "A"), ("example.com", "A")]


def test_latency_still_answers(server: DnsServer) -> None:
    server.latency = 0.05
    assert ask(server, "example.com", "A").answer[0][0].to_text() == "192.0.2.1"


def test_add_and_remove(server: DnsServer) -> None:
    server.add("new.example.com.", "A", "192.0.2.7", "192.0.2.8")
    assert len(ask(server, "new.example.com", "A").answer[0]) == 2
    server.remove("new.example.com", "A")
    assert ask(server, "new.example.com", "A").rcode() == dns.rcode.NXDOMAIN
    server.remove("example.com")
    emptied = ask(server, "example.com", "MX")  # still has descendants: an empty non-terminal
    assert (emptied.rcode(), emptied.answer) == (dns.rcode.NOERROR, [])


def test_several_queries_on_one_tcp_connection(server: DnsServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=2.0) as sock:
        for name in ("example.com", "www.example.com"):
            dns.query.send_tcp(sock, dns.message.make_query(name, "A"))
            reply, _ = dns.query.receive_tcp(sock, expiration=None)
            assert reply.answer[-1][0].to_text() == "192.0.2.1"


def test_stop_releases_port_and_threads() -> None:
    before = threading.active_count()
    server = DnsServer(ZONES).start()
    server.latency = 0.05
    ask(server, "example.com", "A", tcp=True)
    port = server.port
    server.stop()
    assert threading.active_count() == before
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))


def test_bad_rdata_fails_at_add() -> None:
    with pytest.raises(dns.exception.SyntaxError):
        DnsServer({"example.com": {"A": ["not-an-ip"]}})


def test_root_and_tld_answer_an_soa_like_a_recursive_resolver(server: DnsServer) -> None:
    for name in (".", "com."):
        reply = ask(server, name, "SOA")
        assert reply.rcode() == dns.rcode.NOERROR
        assert [rrset.rdtype for rrset in reply.answer] == [dns.rdatatype.SOA]
    assert ask(server, "nosuchtld.", "SOA").rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize(
    ("mode", "rcode"),
    [("nxdomain", dns.rcode.NXDOMAIN), ("servfail", dns.rcode.SERVFAIL), ("refused", dns.rcode.REFUSED)],
)
def test_broken_modes_answer_every_name_alike(server: DnsServer, mode: str, rcode: dns.rcode.Rcode) -> None:
    server.broken = mode
    for name, rdtype in (("example.com", "MX"), ("com.", "SOA"), (".", "SOA")):
        reply = ask(server, name, rdtype)
        assert reply.rcode() == rcode
        assert reply.answer == []


def test_broken_timeout_mode_never_answers(server: DnsServer) -> None:
    server.broken = "timeout"
    query = dns.message.make_query("example.com", "MX")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, server.host, port=server.port, timeout=0.2)
    assert server.queries == [("example.com", "MX")]
