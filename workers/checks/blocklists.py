"""The `blocklists` check (SPEC §5, seed step 5): are our sending IPs or sender domain on a DNSBL?

RFC 5782 lookups through the injected resolver, all concurrent. The trap this module exists to avoid
(reference/deliverability.md §4.3): Spamhaus answers 127.255.255.x to queries it will not serve (public
resolvers, rate limits), and a naive checker reports every IP as listed. Those answers, and the other
"refused" codes below, make a zone unknown and are never a listing.

details: ips, domain, zones {zone: {kind, listed, codes, reason, error}}, listed [{kind, item, zone,
codes, reason}], ip_part_skipped, invalid_ips, note. Zone names with a Spamhaus DQS key are shown
with the key masked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver

from workers.report import CheckResult, Finding, Severity, Status

# Live lists only (reference/deliverability.md §4.2): SORBS is gone since June 2024; UCEPROTECT L2/L3
# list whole ranges and ASNs, so only L1. Barracuda answers registered resolvers only; elsewhere it
# shows up as "unknown", never as clean.
DEFAULT_IP_ZONES: tuple[str, ...] = (
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "bl.mailspike.net",
    "psbl.surriel.com",
    "dnsbl-1.uceprotect.net",
)
DEFAULT_DOMAIN_ZONES: tuple[str, ...] = ("dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com")

# Answers that mean "this list did not answer you", whatever zone sent them.
_REFUSALS: dict[str, str] = {
    "127.0.0.1": "not a listing by RFC 5782; URIBL and SURBL answer it to resolvers they block",
    "127.0.1.255": "an IP address was queried on a domain list",
    "127.255.255.250": "Spamhaus DQS key disabled or invalid",
    "127.255.255.251": "Spamhaus DQS key disabled or invalid",
    "127.255.255.252": "typo in the zone name",
    "127.255.255.254": "query came through a public/open resolver: use your own resolver or a DQS key",
    "127.255.255.255": "too many queries from this resolver",
}
_SPAMHAUS_ERRORS = ipaddress.ip_network("127.255.255.0/24")
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

_ZEN_CODES = {
    "127.0.0.2": "SBL",
    "127.0.0.3": "SBL CSS",
    "127.0.0.4": "XBL (exploited/infected host)",
    "127.0.0.9": "SBL DROP",
    "127.0.0.10": "PBL (ISP: end-user range)",
    "127.0.0.11": "PBL (Spamhaus: end-user range)",
    "127.0.0.30": "BCL",
}
_DBL_CODES = {
    "127.0.1.2": "spam domain",
    "127.0.1.4": "phishing domain",
    "127.0.1.5": "malware domain",
    "127.0.1.6": "botnet C&C domain",
    "127.0.1.102": "abused legit domain (spam)",
    "127.0.1.103": "abused legit redirector",
    "127.0.1.104": "abused legit domain (phishing)",
    "127.0.1.105": "abused legit domain (malware)",
    "127.0.1.106": "abused legit domain (botnet C&C)",
}
# Public mirror and DQS (<key>.zen.dq.spamhaus.net) names of the same data.
_CODE_TABLES = (
    (("zen.spamhaus.org", "zen.dq.spamhaus.net"), _ZEN_CODES),
    (("dbl.spamhaus.org", "dbl.dq.spamhaus.net"), _DBL_CODES),
)

IP, DOMAIN = "ip", "domain"
SKIPPED_IP_NOTE = "IP blocklists skipped: no sending IPs known; set SENDING_IPS"
_REASON_CAP = 200
_DQS_KEY = re.compile(r"^[a-z0-9]{26}\.(?=.*\.dq\.spamhaus\.net$)")


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


def refusal_meaning(code: str) -> str | None:
    if code in _REFUSALS:
        return _REFUSALS[code]
    if ipaddress.ip_address(code) in _SPAMHAUS_ERRORS:
        return "blocklist error code"
    return None


def code_meaning(zone: str, code: str) -> str:
    zone = zone.lower().rstrip(".")
    for suffixes, table in _CODE_TABLES:
        if any(zone == suffix or zone.endswith("." + suffix) for suffix in suffixes):
            return table.get(code, "")
    return ""


def public_zone_name(zone: str) -> str:
    """The zone as shown in results: a DQS key is an account secret, so mask it."""
    return _DQS_KEY.sub("<dqs-key>.", zone.lower().rstrip("."))


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
    except dns.exception.Timeout:
        outcome.error = "timed out"
        return outcome
    except dns.resolver.NoNameservers:
        outcome.error = "no answer (SERVFAIL or REFUSED)"
        return outcome
    except dns.exception.DNSException as exc:
        outcome.error = f"lookup failed: {type(exc).__name__}"
        return outcome
    _classify(outcome, [rdata.to_text() for rdata in answer])
    if outcome.codes:
        outcome.reason = await _txt_reason(name, resolver)
    return outcome


def _classify(outcome: _Outcome, addresses: list[str]) -> None:
    for text in addresses:
        address = ipaddress.ip_address(text)
        if refusal_meaning(text) is not None:
            outcome.refused.append(text)
        elif address in _LOOPBACK:
            outcome.codes.append(text)
        else:
            # Not a DNSBL answer: typically a resolver that rewrites NXDOMAIN to an ad server.
            outcome.error = f"unexpected answer {text} (outside 127.0.0.0/8)"
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
            outcome.error = f"timed out after {timeout:g} s"


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
    if ip_part_skipped and not (domain and domain_zone_list):
        return CheckResult.skipped(
            "no sending IPs and no sender domain to look up; set SENDING_IPS and COURIER_SMTP_FROM_ADDRESS",
            ips=ips,
            domain=domain,
            ip_part_skipped=True,
            invalid_ips=invalid_ips,
        )
    outcomes = _plan(ips, domain, ip_zone_list, domain_zone_list)
    await _run_all(outcomes, resolver, timeout)
    details: dict[str, Any] = {
        "ips": ips,
        "domain": domain,
        "zones": _zone_details(outcomes),
        "listed": [_listed_row(o) for o in outcomes if o.codes],
        "ip_part_skipped": ip_part_skipped,
        "invalid_ips": invalid_ips,
    }
    if ip_part_skipped:
        details["note"] = SKIPPED_IP_NOTE if not ips else "IP blocklists skipped: no IP zones configured"
    return _result(outcomes, details)


def _listed_row(outcome: _Outcome) -> dict[str, Any]:
    return {
        "kind": outcome.kind,
        "item": outcome.item,
        "zone": public_zone_name(outcome.zone),
        "codes": outcome.codes,
        "reason": outcome.reason,
    }


def _zone_details(outcomes: list[_Outcome]) -> dict[str, dict[str, Any]]:
    zones: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        zone = zones.setdefault(
            public_zone_name(outcome.zone),
            {"kind": outcome.kind, "listed": [], "codes": [], "reason": None, "error": None},
        )
        if outcome.codes:
            zone["listed"].append(outcome.item)
            zone["codes"] += [code for code in outcome.codes if code not in zone["codes"]]
            zone["reason"] = zone["reason"] or outcome.reason
        problem = _problem(outcome)
        if problem and zone["error"] is None:
            zone["error"] = problem
    return zones


def _problem(outcome: _Outcome) -> str | None:
    if outcome.refused:
        code = outcome.refused[0]
        return f"query refused ({code}: {refusal_meaning(code)})"
    return outcome.error


def _findings(outcomes: list[_Outcome]) -> list[Finding]:
    findings: list[Finding] = []
    refused_zones: set[str] = set()
    for outcome in outcomes:
        zone = public_zone_name(outcome.zone)
        if outcome.codes:
            code = "ip_blocklisted" if outcome.kind == IP else "domain_blocklisted"
            meanings = ", ".join(f"{c} {code_meaning(outcome.zone, c)}".strip() for c in outcome.codes)
            findings.append(Finding(code, Severity.FAIL, f"{outcome.item} is listed on {zone} ({meanings})"))
        elif outcome.refused and zone not in refused_zones:
            refused_zones.add(zone)
            code = outcome.refused[0]
            summary = (
                f"{zone} did not serve our query: it answered {code} ({refusal_meaning(code)}), not a listing"
            )
            findings.append(Finding("blocklist_query_refused", Severity.INFO, summary))
    return findings


def _result(outcomes: list[_Outcome], details: dict[str, Any]) -> CheckResult:
    findings = tuple(_findings(outcomes))
    zones = details["zones"]
    answered = {public_zone_name(o.zone) for o in outcomes if o.answered}
    unknown = [zone for zone in zones if zone not in answered]
    listed = [f for f in findings if f.severity is Severity.FAIL]
    if listed:
        summary = "; ".join(f.summary for f in listed)
        return CheckResult(Status.FAIL, summary, details, findings)
    if not answered:
        summary = f"no blocklist answered ({len(unknown)} zones unknown): " + _unknown_text(zones, unknown)
        return CheckResult(Status.ERROR, summary, details, findings)
    summary = f"not listed on {len(answered)} blocklist zone(s)"
    if unknown:
        summary += f"; {len(unknown)} unknown: " + _unknown_text(zones, unknown)
    if details["ip_part_skipped"]:
        summary += f" ({details['note']})"
    return CheckResult(Status.OK, summary, details, findings)


def _unknown_text(zones: dict[str, dict[str, Any]], unknown: list[str]) -> str:
    return ", ".join(f"{zone} ({zones[zone]['error']})" for zone in unknown)
