"""The one place DNS resolvers are built (SPEC §3 `DNS_NAMESERVERS`, `DNS_TIMEOUT`).

Each report gets a fresh resolver with no cache, so one report never sees another's stale answers,
and operators can point checks at a specific recursive resolver (`ip` or `ip:port`).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any, TypeVar

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdata
import dns.resolver

DEFAULT_PORT = 53
EDNS_PAYLOAD = 1232
T = TypeVar("T")


def parse_nameserver(entry: str) -> tuple[str, int]:
    """`1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353` → (address, port); ValueError otherwise."""
    text = entry.strip()
    host, port = text, DEFAULT_PORT
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad nameserver {entry!r}: expected [v6] or [v6]:port")
        port = _port(entry, rest[1:]) if rest else DEFAULT_PORT
    elif text.count(":") == 1:  # more than one colon is a bare IPv6 address
        host, _, port_text = text.partition(":")
        port = _port(entry, port_text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"bad nameserver {entry!r}: not an IP address") from None
    return str(address), port


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad nameserver {entry!r}: bad port")
    return int(text)


def make_resolver(nameservers: Sequence[str], timeout: float) -> dns.asyncresolver.Resolver:
    """A cache-free async resolver; the system's resolv.conf when nameservers is empty.

    `timeout` bounds each query as a whole (`lifetime`) and each server attempt, so one check's DNS
    work cannot outlive the caller's deadline.
    """
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(address, port)
            for address, port in (parse_nameserver(entry) for entry in nameservers)
        ]
    else:
        resolver = dns.asyncresolver.Resolver(configure=True)
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    # EDNS with the DNS-flag-day payload: SPF and 2048-bit DKIM TXT answers often pass 512 octets,
    # and each truncated UDP answer costs a TCP retry.
    resolver.use_edns(0, 0, EDNS_PAYLOAD)
    return resolver


class DnsUnavailable(Exception):
    """The resolver could not answer (timeout, SERVFAIL, REFUSED, network): no evidence either way."""


async def lookup(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> list[dns.rdata.Rdata]:
    """The records of `rdtype` at `name`, CNAMEs followed; [] when the name or the type is absent.

    A name that is not a valid DNS name cannot exist, so it is absent too. Anything else that stops
    an answer raises DnsUnavailable: an outage must never read as a missing record.
    """
    try:
        qname = dns.name.from_text(name)
    except dns.exception.DNSException:  # empty or over-long label, name too long
        return []
    try:
        answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.YXDOMAIN):
        return []
    except dns.exception.Timeout as exc:
        raise DnsUnavailable(f"{rdtype} {name}: timed out") from exc
    except (dns.exception.DNSException, OSError) as exc:
        raise DnsUnavailable(f"{rdtype} {name}: {_reason(exc)}") from exc
    return list(answer.rrset) if answer.rrset is not None else []


def _reason(exc: Exception) -> str:
    if isinstance(exc, dns.resolver.NoNameservers):
        return "no nameserver answered (SERVFAIL or REFUSED)"
    return str(exc) or type(exc).__name__


async def gather_lookups(coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run lookups concurrently; the first DnsUnavailable cancels the rest and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except* DnsUnavailable as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
