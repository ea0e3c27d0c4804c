"""RFC 7208 check_host() on dnspython's async resolver.

Our own evaluator rather than pyspf: pyspf is synchronous with a module-global DNS hook, so each
evaluation would need a thread and could not share the report's injected resolver safely. This one
is a direct reading of §4-§6 and passes the RFC 7208 test suite (tests/workers/checks/test_spf_suite.py).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

import dns.asyncresolver
import dns.rdata
import dns.reversename

from workers.checks.sender_auth.spf_record import (
    IpAddress,
    MacroContext,
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
    expand,
    is_spf_record,
    parse_record,
)
from workers.clients.dns import DnsUnavailable, lookup

MAX_LOOKUPS = 10  # §4.6.4
MAX_VOID_LOOKUPS = 2
MAX_MX = 10
MAX_PTR = 10
_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


class _PermError(Exception):
    pass


class _TempError(Exception):
    pass


@dataclass
class SpfOutcome:
    result: str  # pass fail softfail neutral none permerror temperror
    explanation: str | None = None
    reason: str = ""
    lookups: int = 0
    void_lookups: int = 0


@dataclass
class _Evaluation:
    resolver: dns.asyncresolver.Resolver
    ctx: MacroContext
    lookups: int = 0
    voids: int = 0
    names_cache: dict[str, list[str]] = field(default_factory=dict)

    def count_lookup(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise _PermError(f"more than {MAX_LOOKUPS} DNS lookups (at {term})")

    async def query(self, name: str, rdtype: str, *, void_counts: bool = True) -> list[dns.rdata.Rdata]:
        try:
            records = await lookup(self.resolver, name, rdtype)
        except DnsUnavailable as exc:
            raise _TempError(str(exc)) from exc
        if not records and void_counts:
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise _PermError(f"more than {MAX_VOID_LOOKUPS} void DNS lookups (at {name})")
        return records


def valid_domain(domain: str) -> bool:
    """A multi-label domain name of valid label lengths (§4.3); anything else evaluates to none."""
    labels = domain.rstrip(".").split(".")
    return (
        len(labels) > 1
        and len(domain.rstrip(".")) <= 253
        and all(0 < len(label) <= 63 for label in labels)
        and not domain.startswith("[")
    )


async def fetch_record(resolver: dns.asyncresolver.Resolver, domain: str) -> str | None:
    """The one SPF record at domain, None when there is none. Raises SpfSyntaxError when there
    are several or it is not ASCII, DnsUnavailable when the resolver fails."""
    texts = [b"".join(rdata.strings) for rdata in await lookup(resolver, domain, "TXT")]  # type: ignore[attr-defined]
    records = [text for text in texts if is_spf_record(text)]
    if len(records) > 1:
        raise SpfSyntaxError(f"{len(records)} SPF records at {domain}")
    if not records:
        return None
    try:
        return records[0].decode("ascii")
    except UnicodeDecodeError:
        raise SpfSyntaxError(f"the SPF record at {domain} is not 7-bit ASCII") from None


async def check_host(
    resolver: dns.asyncresolver.Resolver, ip: str, domain: str, sender: str, helo: str = ""
) -> SpfOutcome:
    """Evaluate SPF for a client `ip` sending as `sender` (empty: postmaster@helo) from `domain`."""
    address: IpAddress = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # §5: IPv4-mapped clients are evaluated as IPv4
    if not sender:
        sender = f"postmaster@{helo}"
    elif sender.startswith("@"):
        sender = "postmaster" + sender
    ctx = MacroContext(sender=sender, ip=address, domain=domain, helo=helo)
    evaluation = _Evaluation(resolver, ctx)
    try:
        result, explanation = await _check(evaluation, domain)
        outcome = SpfOutcome(result, explanation)
    except _PermError as exc:
        outcome = SpfOutcome("permerror", reason=str(exc))
    except _TempError as exc:
        outcome = SpfOutcome("temperror", reason=str(exc))
    outcome.lookups, outcome.void_lookups = evaluation.lookups, evaluation.voids
    return outcome


async def _check(evaluation: _Evaluation, domain: str) -> tuple[str, str | None]:
    if not valid_domain(domain):
        return "none", None
    try:
        text = await fetch_record(evaluation.resolver, domain)
        record = parse_record(text) if text is not None else None
    except SpfSyntaxError as exc:
        raise _PermError(str(exc)) from exc
    except DnsUnavailable as exc:
        raise _TempError(str(exc)) from exc
    if record is None:
        return "none", None
    ctx = evaluation.ctx
    evaluation.ctx = replace(ctx, domain=domain)
    try:
        return await _evaluate(evaluation, record)
    finally:
        evaluation.ctx = ctx


async def _evaluate(evaluation: _Evaluation, record: SpfRecord) -> tuple[str, str | None]:
    for mechanism in record.mechanisms:
        if await _matches(evaluation, mechanism):
            result = _QUALIFIERS[mechanism.qualifier]
            explanation = await _explain(evaluation, record) if result == "fail" else None
            return result, explanation
    if record.redirect is None or any(m.kind == "all" for m in record.mechanisms):
        return "neutral", None
    evaluation.count_lookup("redirect")
    target = await _expand(evaluation, record.redirect)
    result, explanation = await _check(evaluation, target)
    if result == "none":
        raise _PermError(f"redirect={target} has no SPF record")
    return result, explanation


async def _matches(evaluation: _Evaluation, mechanism: Mechanism) -> bool:
    ip = evaluation.ctx.ip
    if mechanism.kind == "all":
        return True
    if mechanism.kind in ("ip4", "ip6"):
        assert mechanism.network is not None
        return ip.version == mechanism.network.version and ip in mechanism.network
    evaluation.count_lookup(mechanism.kind)
    target = await _expand(evaluation, mechanism.domain_spec or evaluation.ctx.domain)
    if mechanism.kind == "include":
        return await _include(evaluation, target)
    if mechanism.kind == "exists":
        return bool(await evaluation.query(target, "A"))
    if mechanism.kind == "ptr":
        return any(_within(name, target) for name in await _validated_names(evaluation))
    hosts = [target] if mechanism.kind == "a" else await _mx_hosts(evaluation, target)
    for host in hosts:
        if await _address_matches(evaluation, host, mechanism, void_counts=mechanism.kind == "a"):
            return True
    return False


async def _include(evaluation: _Evaluation, target: str) -> bool:
    result, _ = await _check(evaluation, target)
    if result in ("none", "permerror"):
        raise _PermError(f"include:{target} has no SPF record")
    return result == "pass"


async def _mx_hosts(evaluation: _Evaluation, target: str) -> list[str]:
    records = await evaluation.query(target, "MX")
    if len(records) > MAX_MX:
        raise _PermError(f"mx:{target} has more than {MAX_MX} MX records")
    return [rdata.exchange.to_text() for rdata in records]  # type: ignore[attr-defined]


async def _address_matches(
    evaluation: _Evaluation, host: str, mechanism: Mechanism, *, void_counts: bool
) -> bool:
    ip = evaluation.ctx.ip
    rdtype, length = ("A", mechanism.cidr4) if ip.version == 4 else ("AAAA", mechanism.cidr6)
    for rdata in await evaluation.query(host, rdtype, void_counts=void_counts):
        network = ipaddress.ip_network(f"{rdata.address}/{length}", strict=False)  # type: ignore[attr-defined]
        if ip in network:
            return True
    return False


async def _validated_names(evaluation: _Evaluation) -> list[str]:
    """The client's PTR names whose A/AAAA lead back to it (§5.5); DNS errors just drop names."""
    ip = evaluation.ctx.ip
    if str(ip) in evaluation.names_cache:
        return evaluation.names_cache[str(ip)]
    rdtype = "A" if ip.version == 4 else "AAAA"
    try:
        pointers = await lookup(evaluation.resolver, dns.reversename.from_address(str(ip)).to_text(), "PTR")
    except DnsUnavailable:
        pointers = []
    validated = []
    for rdata in pointers[:MAX_PTR]:
        name = rdata.target.to_text().rstrip(".")  # type: ignore[attr-defined]
        try:
            addresses = await lookup(evaluation.resolver, name, rdtype)
        except DnsUnavailable:
            continue
        if any(ipaddress.ip_address(a.address) == ip for a in addresses):  # type: ignore[attr-defined]
            validated.append(name)
    evaluation.names_cache[str(ip)] = validated
    return validated


def _within(name: str, domain: str) -> bool:
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)


async def _expand(evaluation: _Evaluation, spec: str, *, explain: bool = False) -> str:
    ctx = evaluation.ctx
    if "%{p" in spec.lower():
        names = await _validated_names(evaluation)
        preferred = sorted(names, key=lambda name: (name != ctx.domain, not _within(name, ctx.domain)))
        ctx = replace(ctx, validated_name=preferred[0] if preferred else "unknown")
    try:
        return expand(spec, ctx, explain=explain)
    except SpfSyntaxError as exc:
        raise _PermError(str(exc)) from exc


async def _explain(evaluation: _Evaluation, record: SpfRecord) -> str | None:
    """The exp= text (§6.2); any problem with it means no explanation, never a different result."""
    if record.exp is None:
        return None
    try:
        target = await _expand(evaluation, record.exp)
        records = await lookup(evaluation.resolver, target, "TXT")
        if len(records) != 1:
            return None
        text = b"".join(records[0].strings).decode("ascii")  # type: ignore[attr-defined]
        return await _expand(evaluation, text, explain=True)
    except (_PermError, DnsUnavailable, UnicodeDecodeError):
        return None
