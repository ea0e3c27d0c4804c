"""A real authoritative DNS server on 127.0.0.1 for tests: UDP and TCP on one port, in-memory zones.

Built from dnspython's message/rrset machinery on stdlib socketserver threads, so clients exercise the
real wire protocol (truncation and the TCP retry included). Knobs for failure modes: `latency`,
`drop`, `refuse`, `servfail` (per name), and `broken` (the whole resolver: one of BROKEN_MODES).
Every query is recorded in `queries` (and TCP ones in `tcp_queries`); an exception while answering is
kept in `errors` and answered SERVFAIL.

Semantics: NODATA (with an SOA) for a name that exists with other types or only has descendants,
NXDOMAIN otherwise; CNAMEs chased inside the zones; `*.name` wildcards per RFC 4592; UDP answers
over the client's EDNS payload (512 without EDNS) come back truncated (TC) so clients retry on TCP.
Like a recursive resolver, it answers an SOA for the root and for every TLD that has names under it
(the vantage control query of SPEC §5).

    with DnsServer({"example.com": {"TXT": ['"v=spf1 -all"']}}) as dns_server:
        resolver = make_resolver([dns_server.nameserver], timeout=1.0)
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

_MAX_CNAME_HOPS = 8
# A resolver broken as a whole, as seen in containers and behind filtering DNS: it answers every
# name NXDOMAIN, SERVFAIL or REFUSED, or never answers at all.
BROKEN_MODES = ("nxdomain", "servfail", "refused", "timeout")
_BROKEN_RCODES = {
    "nxdomain": dns.rcode.NXDOMAIN,
    "servfail": dns.rcode.SERVFAIL,
    "refused": dns.rcode.REFUSED,
}
_POLL = 0.05  # how often blocked handler threads look at the stop flag
_SERVE_POLL = 0.5  # stop() wakes the serving loops itself, so they can sleep long


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _key(name: dns.name.Name) -> str:
    """A query name as the zones spell it: raw labels, not zone-file escapes (`\\032` for a space)."""
    return ".".join(label.decode("utf-8", "surrogateescape") for label in name.labels if label).lower()


class DnsServer:
    def __init__(
        self, records: Mapping[str, Mapping[str, Sequence[str]]] | None = None, *, ttl: int = 60
    ) -> None:
        self.ttl = ttl
        self.host = "127.0.0.1"
        self.port = 0
        self.latency = 0.0
        self.drop = False
        self.refuse: set[str] = set()
        self.servfail: set[str] = set()
        self.broken: str | None = None  # one of BROKEN_MODES
        self.queries: list[tuple[str, str]] = []
        self.tcp_queries: list[tuple[str, str]] = []
        self.errors: list[Exception] = []  # exceptions raised while answering (answered SERVFAIL)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._zones: dict[str, dict[str, list[dns.rdata.Rdata]]] = {}
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []
        for name, by_type in (records or {}).items():
            for rdtype, rdatas in by_type.items():
                self.add(name, rdtype, *rdatas)

    # -- zone editing -------------------------------------------------------------------------

    def add(self, name: str, rdtype: str, *rdata: str) -> None:
        """Add records; rdata is zone-file text. Parsed now so a typo fails the test at once."""
        kind = dns.rdatatype.from_text(rdtype)
        parsed = [
            dns.rdata.from_text(dns.rdataclass.IN, kind, text, origin=dns.name.root, relativize=False)
            for text in rdata
        ]
        with self._lock:
            self._zones.setdefault(_norm(name), {}).setdefault(rdtype.upper(), []).extend(parsed)

    def remove(self, name: str, rdtype: str | None = None) -> None:
        with self._lock:
            node = self._zones.get(_norm(name))
            if node is None:
                return
            if rdtype is None:
                node.clear()
            else:
                node.pop(rdtype.upper(), None)
            if not node:
                del self._zones[_norm(name)]

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> DnsServer:
        self._stop.clear()
        udp, tcp = self._bind_pair()
        self.port = udp.server_address[1]
        self._servers = [udp, tcp]
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, args=(_SERVE_POLL,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        while any(stopper.is_alive() for stopper in stoppers):
            self._nudge()  # wake the serving loops so they see the shutdown request now
            for stopper in stoppers:
                stopper.join(0.01)
        for server in self._servers:
            server.server_close()  # joins the handler threads, which poll _stop
        for thread in self._threads:
            thread.join()
        self._servers, self._threads = [], []

    def _nudge(self) -> None:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"", (self.host, self.port))
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.1):
            pass

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _bind_pair(self) -> tuple[_UdpServer, _TcpServer]:
        # The UDP port the kernel picks may be taken for TCP; try a few until one pair binds.
        last_error: OSError | None = None
        for _ in range(50):
            udp = _UdpServer((self.host, 0), _UdpHandler, self)
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), _TcpHandler, self)
            except OSError as exc:
                udp.server_close()
                last_error = exc
                continue
            return udp, tcp
        raise RuntimeError(f"could not bind UDP and TCP on one port: {last_error}")

    # -- answering ----------------------------------------------------------------------------

    def answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        """The reply to one query's wire bytes, or None to stay silent (drop, garbage)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        qname = _key(question.name)
        rdtype = dns.rdatatype.to_text(question.rdtype)
        entry = (qname, rdtype)
        with self._lock:
            self.queries.append(entry)
            if not udp:
                self.tcp_queries.append(entry)
        if self.latency and self._stop.wait(self.latency):
            return None
        if self.drop or self.broken == "timeout":
            return None
        try:
            response = self._respond(query, question.name, question.rdtype)
        except Exception as exc:  # a bug here must not leave the client waiting for its timeout
            self.errors.append(exc)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
        return self._to_wire(query, response, udp)

    def _to_wire(self, query: dns.message.Message, response: dns.message.Message, udp: bool) -> bytes:
        if not udp:  # TCP carries up to 64 KiB whatever the EDNS payload (which dnspython would apply)
            return response.to_wire(max_size=65535)
        # Over UDP the client's EDNS payload (512 without EDNS) caps the reply; TC sends it to TCP.
        limit = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.TC | dns.flags.AA
            return truncated.to_wire(max_size=limit)

    def _respond(
        self, query: dns.message.Message, qname: dns.name.Name, qtype: dns.rdatatype.RdataType
    ) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        name = _key(qname)
        if self.broken is not None:
            response.set_rcode(_BROKEN_RCODES[self.broken])
            return response
        if name in {_norm(n) for n in self.refuse}:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        if name in {_norm(n) for n in self.servfail}:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        with self._lock:
            rcode = self._resolve(response, qname, qtype)
        response.set_rcode(rcode)
        if not response.answer or rcode == dns.rcode.NXDOMAIN:
            response.authority.append(self._soa(name))
        return response

    def _resolve(
        self, response: dns.message.Message, qname: dns.name.Name, qtype: dns.rdatatype.RdataType
    ) -> dns.rcode.Rcode:
        """Fill the answer section; chase CNAMEs that stay inside our zones. Caller holds _lock."""
        for _ in range(_MAX_CNAME_HOPS):
            node = self._node(_key(qname))
            if node is None:
                return dns.rcode.NXDOMAIN  # RFC 6604: the rcode speaks for the last name in the chain
            wanted = dns.rdatatype.to_text(qtype)
            if qtype == dns.rdatatype.ANY:
                for kind, rdatas in node.items():
                    response.answer.append(self._rrset(qname, kind, rdatas))
                return dns.rcode.NOERROR
            if wanted in node:
                response.answer.append(self._rrset(qname, wanted, node[wanted]))
                return dns.rcode.NOERROR
            if wanted == "SOA" and "." not in _key(qname):  # the root or a TLD: a zone apex
                response.answer.append(self._soa(_key(qname)))
                return dns.rcode.NOERROR
            if "CNAME" not in node:
                return dns.rcode.NOERROR  # NODATA
            response.answer.append(self._rrset(qname, "CNAME", node["CNAME"]))
            qname = node["CNAME"][0].target  # type: ignore[attr-defined]
        return dns.rcode.NOERROR

    def _node(self, name: str) -> dict[str, list[dns.rdata.Rdata]] | None:
        """The records at name: exact, an empty non-terminal ({}), a wildcard match, or None."""
        if not name:  # the root always exists
            return self._zones.get("", {})
        if name in self._zones:
            return self._zones[name]
        if self._has_descendants(name):
            return {}
        labels = name.split(".")
        # RFC 4592: the wildcard at the closest existing ancestor (the closest encloser) applies.
        for depth in range(1, len(labels)):
            ancestor = ".".join(labels[depth:])
            if ancestor in self._zones or self._has_descendants(ancestor):
                return self._zones.get("*." + ancestor)
        return self._zones.get("*")

    def _has_descendants(self, name: str) -> bool:
        suffix = "." + name
        return any(other.endswith(suffix) for other in self._zones)

    def _rrset(self, qname: dns.name.Name, kind: str, rdatas: list[dns.rdata.Rdata]) -> dns.rrset.RRset:
        return dns.rrset.from_rdata_list(qname, self.ttl, rdatas)

    def _soa(self, name: str) -> dns.rrset.RRset:
        apex = ".".join(name.split(".")[-2:]) or "."
        return dns.rrset.from_text(
            apex.rstrip(".") + ".",
            self.ttl,
            "IN",
            "SOA",
            f"ns.invalid. hostmaster.invalid. 1 3600 600 86400 {self.ttl}",
        )


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, owner: DnsServer) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Any, owner: DnsServer) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        wire, sock = self.request
        reply = self.server.owner.answer(wire, udp=True)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    """Length-prefixed messages (RFC 7766); several per connection; polls the stop flag."""

    server: _TcpServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(_POLL)
        owner = self.server.owner
        while not owner._stop.is_set():
            header = self._read(sock, 2)
            if header is None:
                return
            wire = self._read(sock, struct.unpack("!H", header)[0])
            if wire is None:
                return
            reply = owner.answer(wire, udp=False)
            if reply is not None:
                sock.sendall(struct.pack("!H", len(reply)) + reply)

    def _read(self, sock: socket.socket, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            if self.server.owner._stop.is_set():
                return None
            try:
                chunk = sock.recv(count - len(data))
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data
