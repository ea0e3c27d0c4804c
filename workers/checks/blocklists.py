"""The `blocklists` check (SPEC §5, seed step 5): are our sending IPs or sender domain on a DNSBL?

RFC 5782 lookups through the injected resolver, all concurrent. The trap this module exists to avoid
(reference/deliverability.md §4.3): Spamhaus answers 127.255.255.x to queries it will not serve (public
resolvers, rate limits), and a naive checker reports every IP as listed. Those answers, and the other
"refused" codes (dnsbl_zones.py), make a zone unknown, with advice that fits that zone, and are never a
listing. "Not listed" (NXDOMAIN) only counts once the vantage control query shows our own resolver
works (SPEC §5); otherwise the check is `error` naming DNS_NAMESERVERS. With IP zones configured and
none of them readable, the check is `error` too: a clean domain says nothing about our IPs.

details: `BlocklistsDetails` (workers/report/details_dns.py): ips, domain, ip_part_skipped, invalid_ips
(`BlocklistsBase`, in every result, `skipped` included), zones {zone: {kind, listed, codes, reason,
error, advice}}, listed [{kind, item, zone, codes, reason}], note; `BlocklistsUnread` (the base and
resolver_problem) when our own resolver is broken. Zone names with a Spamhaus DQS key are shown with the
key masked.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from workers.checks.dnsbl_zones import (
    DEFAULT_DOMAIN_ZONES,
    DEFAULT_IP_ZONES,
    DOMAIN,
    IP,
    code_meaning,
    is_refusal,
    public_zone_name,
    refusal,
    unanswered_advice,
)
from workers.clients.dns import broken_resolver_summary, failure_text, vantage_problem
from workers.report.details_dns import (
    BlocklistsBase,
    BlocklistsDetails,
    BlocklistsUnread,
    ListedRow,
    ZoneDetails,
)
from workers.report.model import CheckResult, Finding, Severity, Status

__all__ = ["DEFAULT_DOMAIN_ZONES", "DEFAULT_IP_ZONES", "check_blocklists", "public_zone_name", "query_name"]

SKIPPED_IP_NOTE = "IP blocklists skipped: no sending IPs known; set SENDING_IPS"
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_REASON_CAP = 200


@dataclass
class _Outcome:
    """One (zone, item) lookup: listed with codes, clean, refused, or failed."""

    kind: str
    item: str
    zone: str
    codes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reason: str | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.error is None and not self.refused

    @property
    def negative(self) -> bool:
        """Clean or failed: only believed once our own resolver is shown to work (SPEC §5)."""
        return not self.codes and not self.refused


def query_name(item: str, kind: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4 query name: reversed octets, IPv6 nibbles, or the domain itself."""
    zone = zone.lower().rstrip(".")
    if kind == DOMAIN:
        return f"{item}.{zone}"
    address = ipaddress.ip_address(item)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:a.b.c.d sends from an IPv4 address
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(reversed(str(address).split("."))) + f".{zone}"
    return ".".join(reversed(address.exploded.replace(":", ""))) + f".{zone}"


def _split_ips(sending_ips: Sequence[str]) -> tuple[list[str], list[str]]:
    valid, invalid = [], []
    for raw in sending_ips:
        try:
            valid.append(str(ipaddress.ip_address(raw.strip())))
        except ValueError:
            invalid.append(raw)
    return list(dict.fromkeys(valid)), invalid


async def _lookup(outcome: _Outcome, resolver: dns.asyncresolver.Resolver) -> _Outcome:
    try:
        name = dns.name.from_text(query_name(outcome.item, outcome.kind, outcome.zone))
        answer = await resolver.resolve(name, "A")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return outcome  # RFC 5782: no A record = not listed
    except dns.exception.DNSException as exc:
        outcome.error = f"the lookup {failure_text(exc)}"
        return outcome
    _classify(outcome, [rdata.to_text() for rdata in answer])
    if outcome.codes:
        outcome.reason = await _txt_reason(name, resolver)
    return outcome


def _classify(outcome: _Outcome, addresses: list[str]) -> None:
    for text in addresses:
        address = ipaddress.ip_address(text)
        if is_refusal(text):
            outcome.refused.append(text)
        elif address in _LOOPBACK:
            outcome.codes.append(text)
        else:
            # Not a DNSBL answer: typically a resolver that rewrites NXDOMAIN to an ad server.
            outcome.error = f"it answered {text}, outside 127.0.0.0/8, which no blocklist sends"
    if outcome.error or outcome.refused:
        outcome.codes = []  # one bad code makes the whole answer untrustworthy


async def _txt_reason(name: dns.name.Name, resolver: dns.asyncresolver.Resolver) -> str | None:
    """The list's own explanation (often a lookup URL); best effort, it never decides anything."""
    try:
        answer = await resolver.resolve(name, "TXT")
    except dns.exception.DNSException:
        return None
    texts = [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]
    return " ".join(texts)[:_REASON_CAP] or None


async def _run_all(outcomes: list[_Outcome], resolver: dns.asyncresolver.Resolver, timeout: float) -> None:
    """Run every lookup concurrently; whatever is still running at `timeout` counts as timed out."""
    tasks = [asyncio.create_task(_lookup(outcome, resolver)) for outcome in outcomes]
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for outcome, task in zip(outcomes, tasks, strict=True):
        if task in pending:
            outcome.error = f"the lookup did not finish within {timeout:g} s"


def _plan(
    ips: list[str], domain: str | None, ip_zones: Sequence[str], domain_zones: Sequence[str]
) -> list[_Outcome]:
    outcomes = [_Outcome(IP, ip, zone) for zone in ip_zones for ip in ips]
    if domain:
        outcomes += [_Outcome(DOMAIN, domain, zone) for zone in domain_zones]
    return outcomes


async def check_blocklists(
    *,
    sending_ips: Sequence[str],
    sender_domain: str | None,
    ip_zones: Sequence[str] | None,
    domain_zones: Sequence[str] | None,
    resolver: dns.asyncresolver.Resolver,
    timeout: float,
) -> CheckResult:
    ips, invalid_ips = _split_ips(sending_ips)
    domain = sender_domain.strip().lower().rstrip(".") if sender_domain else None
    ip_zone_list = list(DEFAULT_IP_ZONES if ip_zones is None else ip_zones)
    domain_zone_list = list(DEFAULT_DOMAIN_ZONES if domain_zones is None else domain_zones)
    ip_part_skipped = not ips or not ip_zone_list
    base: BlocklistsBase = {
        "ips": ips,
        "domain": domain,
        "ip_part_skipped": ip_part_skipped,
        "invalid_ips": invalid_ips,
    }
    if ip_part_skipped and not (domain and domain_zone_list):
        return CheckResult.skipped(
            "Blocklists were not checked: no sending IPs and no sender domain are known; set SENDING_IPS and "
            "COURIER_SMTP_FROM_ADDRESS.",
            **base,
        )
    outcomes = _plan(ips, domain, ip_zone_list, domain_zone_list)
    await _run_all(outcomes, resolver, timeout)
    unproven = [outcome.zone for outcome in outcomes if outcome.negative]
    problem = await vantage_problem(resolver, unproven) if unproven else None
    if problem is not None:
        unread: BlocklistsUnread = {**base, "resolver_problem": problem}
        return CheckResult.error(broken_resolver_summary(resolver, problem), **unread)
    details: BlocklistsDetails = {
        **base,
        "zones": _zone_details(outcomes),
        "listed": [_listed_row(o) for o in outcomes if o.codes],
    }
    if ip_part_skipped:
        details["note"] = SKIPPED_IP_NOTE if not ips else "IP blocklists skipped: no IP zones configured"
    return _result(outcomes, details)


def _listed_row(outcome: _Outcome) -> ListedRow:
    return {
        "kind": outcome.kind,
        "item": outcome.item,
        "zone": public_zone_name(outcome.zone),
        "codes": outcome.codes,
        "reason": outcome.reason,
    }


def _zone_details(outcomes: list[_Outcome]) -> dict[str, ZoneDetails]:
    zones: dict[str, ZoneDetails] = {}
    for outcome in outcomes:
        zone = zones.setdefault(
            public_zone_name(outcome.zone),
            {"kind": outcome.kind, "listed": [], "codes": [], "reason": None, "error": None, "advice": None},
        )
        if outcome.codes:
            zone["listed"].append(outcome.item)
            zone["codes"] += [code for code in outcome.codes if code not in zone["codes"]]
            zone["reason"] = zone["reason"] or outcome.reason
        if zone["error"] is None:
            zone["error"], zone["advice"] = _problem(outcome)
    return zones


def _problem(outcome: _Outcome) -> tuple[str | None, str | None]:
    """Why this lookup says nothing about the item, and what would fix it (None, None: it answered)."""
    if outcome.refused:
        code = outcome.refused[0]
        why = refusal(outcome.zone, outcome.kind, code)
        return f"it answered {code} ({why.meaning})", why.advice
    if outcome.error:
        return outcome.error, unanswered_advice(outcome.zone)
    return None, None


def _findings(outcomes: list[_Outcome]) -> list[Finding]:
    findings: list[Finding] = []
    refused_zones: set[str] = set()
    for outcome in outcomes:
        zone = public_zone_name(outcome.zone)
        if outcome.codes:
            code = "ip_blocklisted" if outcome.kind == IP else "domain_blocklisted"
            meanings = ", ".join(f"{c} {code_meaning(outcome.zone, c)}".strip() for c in outcome.codes)
            text = f"{outcome.item} is listed on {zone} ({meanings})."
            findings.append(Finding(code, Severity.FAIL, text))
        elif outcome.refused and zone not in refused_zones:
            refused_zones.add(zone)
            error, advice = _problem(outcome)
            text = f"{zone} is unknown, not a listing: {error}. {advice}"
            findings.append(Finding("blocklist_query_refused", Severity.INFO, text))
    return findings


def _result(outcomes: list[_Outcome], details: BlocklistsDetails) -> CheckResult:
    findings = tuple(_findings(outcomes))
    zones = details["zones"]
    answered = {public_zone_name(o.zone) for o in outcomes if o.answered}
    unknown = [zone for zone in zones if zone not in answered]
    ip_zones = [zone for zone in zones if zones[zone]["kind"] == IP]
    listed = [f for f in findings if f.severity is Severity.FAIL]
    unread = "" if not unknown else " " + _unknown_text(zones, unknown)
    if listed:
        return CheckResult(Status.FAIL, " ".join(f.summary for f in listed) + unread, dict(details), findings)
    if not answered:
        summary = f"No blocklist zone could be read, so listings are unknown.{unread}"
        return CheckResult(Status.ERROR, summary, dict(details), findings)
    if ip_zones and not answered.intersection(ip_zones):
        summary = (
            f"No IP blocklist zone could be read, so whether our sending IPs are listed is unknown.{unread}"
        )
        return CheckResult(Status.ERROR, summary, dict(details), findings)
    summary = f"Not listed on any of the {len(answered)} blocklist zones that answered.{unread}"
    if details["ip_part_skipped"]:
        summary += f" {details['note']}."
    return CheckResult(Status.OK, summary, dict(details), findings)


def _unknown_text(zones: dict[str, ZoneDetails], unknown: list[str]) -> str:
    """One sentence per unreadable zone, with the advice that fits that zone."""
    sentences = []
    for zone in unknown:
        sentence = f"{zone} could not be read: {zones[zone]['error']}."
        if zones[zone]["advice"]:
            sentence += f" {zones[zone]['advice']}"
        sentences.append(sentence)
    return " ".join(sentences)
