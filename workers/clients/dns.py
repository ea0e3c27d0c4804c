"""The one place DNS resolvers are built (SPEC §3 `DNS_NAMESERVERS`, `DNS_TIMEOUT`), and the check
that our own resolver works before its negative answers are believed (SPEC §5, vantage point).

Each report gets a fresh resolver with no cache, so one report never sees another's stale answers,
and operators can point checks at a specific recursive resolver (`ip` or `ip:port`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any, TypeVar

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdata
import dns.resolver

from workers.core.nameservers import DEFAULT_PORT, parse_nameserver

EDNS_PAYLOAD = 1232
T = TypeVar("T")


class ReportResolver(dns.asyncresolver.Resolver):
    """A resolver that remembers, for one report, what the vantage control queries found.

    The checks of a report share it, so a healthy resolver pays one control query per TLD per report.
    """

    def __init__(self, *, from_setting: bool) -> None:
        super().__init__(configure=not from_setting)
        self.from_setting = from_setting  # DNS_NAMESERVERS, not the system's resolv.conf
        self.controls: dict[str, asyncio.Task[str | None]] = {}


def make_resolver(nameservers: Sequence[str], timeout: float) -> ReportResolver:
    """A cache-free async resolver; the system's resolv.conf when nameservers is empty.

    `timeout` bounds each query as a whole (`lifetime`) and each server attempt, so one check's DNS
    work cannot outlive the caller's deadline.
    """
    resolver = ReportResolver(from_setting=bool(nameservers))
    if nameservers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(address, port)
            for address, port in (parse_nameserver(entry) for entry in nameservers)
        ]
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
    except (dns.exception.DNSException, OSError) as exc:
        raise DnsUnavailable(f"the {rdtype} lookup of {name} {failure_text(exc)}") from exc
    return list(answer.rrset) if answer.rrset is not None else []


def failure_text(exc: Exception) -> str:
    """How a query failed, as the end of a sentence: "timed out", "was answered REFUSED", …"""
    if isinstance(exc, dns.exception.Timeout):
        return "timed out"
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "was answered NXDOMAIN (no such name)"
    if isinstance(exc, dns.resolver.NoNameservers):
        errors = exc.kwargs.get("errors") or []
        rcodes = sorted({str(error[3]) for error in errors if isinstance(error[3], str)})
        return f"was answered {' and '.join(rcodes)}" if rcodes else "got no answer from any nameserver"
    return f"failed ({str(exc) or type(exc).__name__})"


async def gather_lookups(coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run lookups concurrently; the first DnsUnavailable cancels the rest and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except* DnsUnavailable as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


# -- our own vantage point (SPEC §5) -------------------------------------------------------------

ROOT = "."


def top_level_domain(name: str) -> str:
    """`com.` for `example.com`; the root for a name without labels."""
    labels = [label for label in name.strip().rstrip(".").split(".") if label]
    return f"{labels[-1].lower()}." if labels else ROOT


async def vantage_problem(resolver: dns.asyncresolver.Resolver, names: Iterable[str]) -> str | None:
    """None when our resolver is shown to work for these names; else what the control query got.

    The control is the SOA of each name's TLD, asked once per TLD per report (ReportResolver keeps
    the answers). Only after it succeeds may NXDOMAIN, "no record" or a DNS failure be read as the
    recipient's or the sender's problem rather than our own resolver's.
    """
    tlds = sorted({top_level_domain(name) for name in names})
    problems = await asyncio.gather(*(_control(resolver, tld) for tld in tlds))
    return next((problem for problem in problems if problem), None)


async def _control(resolver: dns.asyncresolver.Resolver, tld: str) -> str | None:
    memo = resolver.controls if isinstance(resolver, ReportResolver) else {}
    task = memo.get(tld)
    if task is None or (not task.done() and task.get_loop() is not asyncio.get_running_loop()):
        task = memo[tld] = asyncio.get_running_loop().create_task(_ask_control(resolver, tld))
    return await asyncio.shield(task)  # one check's cancellation must not cancel the others' answer


async def _ask_control(resolver: dns.asyncresolver.Resolver, tld: str) -> str | None:
    try:
        answer = await resolver.resolve(dns.name.from_text(tld), "SOA", raise_on_no_answer=False)
    except (dns.exception.DNSException, OSError) as exc:
        problem = f"the control query (SOA of {tld}) {failure_text(exc)}"
        # A TLD that does not exist (a typo such as gmail.cmo) is not our fault: the root tells.
        if isinstance(exc, dns.resolver.NXDOMAIN) and tld != ROOT and await _control(resolver, ROOT) is None:
            return None
        return problem
    if answer.rrset is None:
        return f"the control query (SOA of {tld}) was answered with no SOA record"
    return None


def broken_resolver_summary(resolver: dns.asyncresolver.Resolver, problem: str) -> str:
    """The summary of every DNS-based check when our own resolver fails the control query."""
    servers = ", ".join(_server_text(nameserver) for nameserver in resolver.nameservers) or "none"
    if getattr(resolver, "from_setting", False):
        where = f"resolver {servers}, from DNS_NAMESERVERS"
        fix = "point DNS_NAMESERVERS at a working recursive resolver"
    else:
        where = f"system resolver {servers}, as DNS_NAMESERVERS is not set"
        fix = "set DNS_NAMESERVERS to a working recursive resolver"
    return (
        f"mailcheck's own DNS resolver is broken or filtering: {problem} ({where}). No DNS answer can "
        f"be trusted, so nothing is concluded about this address or domain; {fix}."
    )


def _server_text(nameserver: object) -> str:
    address, port = getattr(nameserver, "address", nameserver), getattr(nameserver, "port", DEFAULT_PORT)
    if port == DEFAULT_PORT:
        return str(address)
    return f"[{address}]:{port}" if ":" in str(address) else f"{address}:{port}"
