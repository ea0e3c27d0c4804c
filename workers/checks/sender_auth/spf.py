"""The SPF part of `sender_auth` (SPEC §5): is the envelope domain's SPF record present, valid, within
the RFC 7208 processing limits, and does it authorize whoever actually sends our mail?

The limits are counted over the whole include/redirect tree, as a receiver evaluating a non-matching
client would hit them; authorization of IPs is decided by real evaluation (`check_host`).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from workers.checks.sender_auth.part import AuthPart
from workers.checks.sender_auth.spf_eval import MAX_LOOKUPS, MAX_VOID_LOOKUPS, check_host, fetch_record
from workers.checks.sender_auth.spf_record import SpfRecord, SpfSyntaxError, parse_record
from workers.clients.dns import DnsUnavailable, gather_lookups, lookup
from workers.report.details_dns import SpfDetails
from workers.report.model import Finding, Severity

RESEND_INCLUDE = "amazonses.com"
_MAX_DEPTH = 10  # deeper include chains exceed the lookup limit anyway


def spf_domain_for(from_domain: str, provider: str, return_path_domain: str | None) -> str:
    """RETURN_PATH_DOMAIN, else the provider's return path we know (Resend), else the From domain."""
    if return_path_domain:
        return return_path_domain.lower().rstrip(".")
    if provider == "resend":
        return f"send.{from_domain}"
    return from_domain


@dataclass
class SpfTree:
    """The evaluated tree below one record: what a receiver's worst case walks through."""

    lookups: int = 0
    void_lookups: int = 0
    includes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def analyse_tree(resolver: dns.asyncresolver.Resolver, domain: str, record: SpfRecord) -> SpfTree:
    tree = SpfTree()
    await _walk(resolver, domain, record, tree, depth=0)
    return tree


async def _walk(
    resolver: dns.asyncresolver.Resolver, domain: str, record: SpfRecord, tree: SpfTree, depth: int
) -> None:
    tree.lookups += record.lookup_terms
    if depth > _MAX_DEPTH or tree.lookups > MAX_LOOKUPS:
        return  # already over the limit (or looping): counting further changes nothing
    targets = [m.domain_spec for m in record.mechanisms if m.kind == "include" and m.domain_spec]
    if record.redirect and not any(m.kind == "all" for m in record.mechanisms):
        targets.append(record.redirect)
    literal = [t.lower().rstrip(".") for t in targets if "%" not in t]
    tree.includes.extend(literal)
    void_checks = [_is_void(resolver, m.kind, m.domain_spec or domain) for m in record.mechanisms]
    voids = await asyncio.gather(*void_checks)
    tree.void_lookups += sum(voids)
    children = await asyncio.gather(*(_child(resolver, target, tree) for target in literal))
    await asyncio.gather(
        *(
            _walk(resolver, target, child, tree, depth + 1)
            for target, child in zip(literal, children, strict=True)
            if child
        )
    )


async def _child(resolver: dns.asyncresolver.Resolver, target: str, tree: SpfTree) -> SpfRecord | None:
    try:
        text = await fetch_record(resolver, target)
        if text is None:
            tree.problems.append(f"the included {target} has no SPF record, so receivers return permerror")
            return None
        return parse_record(text)
    except SpfSyntaxError as exc:
        tree.problems.append(f"the included {target} is invalid ({exc})")
        return None


async def _is_void(resolver: dns.asyncresolver.Resolver, kind: str, target: str) -> bool:
    """Whether an a/mx term's lookup finds nothing (§4.6.4 void lookup); macro targets are skipped."""
    if kind not in ("a", "mx") or "%" in target:
        return False
    if kind == "mx":
        return not await lookup(resolver, target, "MX")
    found = await gather_lookups([lookup(resolver, target, "A"), lookup(resolver, target, "AAAA")])
    return not any(found)


def _ip_or_none(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        return None


async def sender_addresses(
    resolver: dns.asyncresolver.Resolver, sending_ips: Sequence[str], relay_host: str | None
) -> list[str]:
    """SENDING_IPS (entries that are not IPs are ignored), else the relay's A/AAAA addresses
    resolved through our resolver (SPEC §3)."""
    if sending_ips:
        return [ip for ip in map(_ip_or_none, sending_ips) if ip is not None]
    if not relay_host:
        return []
    literal = _ip_or_none(relay_host)
    if literal is not None:
        return [literal]
    found = await gather_lookups([lookup(resolver, relay_host, "A"), lookup(resolver, relay_host, "AAAA")])
    return [rdata.address for rdatas in found for rdata in rdatas]  # type: ignore[attr-defined]


async def check_spf(
    *,
    resolver: dns.asyncresolver.Resolver,
    from_domain: str,
    provider: str,
    return_path_domain: str | None,
    sending_ips: Sequence[str],
    relay_host: str | None,
) -> AuthPart[SpfDetails]:
    domain = spf_domain_for(from_domain, provider, return_path_domain)
    details: SpfDetails = {
        "domain": domain,
        "record": None,
        "lookups": None,
        "void_lookups": None,
        "authorizes": None,
        "result": None,
        "requires": _requirement(provider),
    }
    failure = ""
    try:
        async with asyncio.TaskGroup() as group:
            # The relay's addresses resolve while the record is fetched: they are needed right after.
            addresses = group.create_task(
                sender_addresses(resolver, sending_ips, relay_host) if provider == "smtp" else _none()
            )
            part = await _assess(resolver, domain, provider, addresses, details)
    except* DnsUnavailable as failures:
        failure = str(failures.exceptions[0])
    if failure:
        return AuthPart(f"SPF could not be checked: {failure}.", details, error=failure)
    return part


def _requirement(provider: str) -> str | None:
    if provider == "resend":
        return f"include:{RESEND_INCLUDE}"
    if provider == "smtp":
        return "the sending IPs"
    return None  # Postmark, Brevo and SMTP2GO bounce through their own return-path domain


async def _none() -> list[str]:
    return []


async def _assess(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    provider: str,
    addresses: asyncio.Task[list[str]],
    details: SpfDetails,
) -> AuthPart[SpfDetails]:
    try:
        text = await fetch_record(resolver, domain)
        details["record"] = text
        record = parse_record(text) if text is not None else None
    except SpfSyntaxError as exc:
        addresses.cancel()
        details["error"] = str(exc)
        return _invalid(domain, str(exc), details)
    if record is None:
        addresses.cancel()
        details["authorizes"] = False if provider in ("resend", "smtp") else None
        missing = _missing(domain, provider)
        return AuthPart(missing.summary, details, [missing])
    tree = await analyse_tree(resolver, domain, record)
    details["lookups"], details["void_lookups"] = tree.lookups, tree.void_lookups
    details["includes"] = tree.includes
    findings = _limit_findings(domain, tree)
    if provider == "resend":
        details["authorizes"] = RESEND_INCLUDE in tree.includes
    elif provider == "smtp":
        await _authorize_ips(resolver, domain, await addresses, details)
    if details["authorizes"] is False and not findings:
        findings.append(_not_authorized(domain, provider, details))
    return AuthPart(_summary(domain, details, findings), details, findings)


async def _authorize_ips(
    resolver: dns.asyncresolver.Resolver, domain: str, addresses: list[str], details: SpfDetails
) -> None:
    details["sending_ips"] = addresses
    if not addresses:
        details["note"] = "no SENDING_IPS and no relay address to evaluate; set SENDING_IPS"
        return
    sender = f"postmaster@{domain}"
    outcomes = await gather_lookups(check_host(resolver, ip, domain, sender, domain) for ip in addresses)
    details["ip_results"] = {ip: outcome.result for ip, outcome in zip(addresses, outcomes, strict=True)}
    if any(outcome.result == "temperror" for outcome in outcomes):
        reason = next(o.reason for o in outcomes if o.result == "temperror")
        raise DnsUnavailable(reason)
    failing = [o.result for o in outcomes if o.result != "pass"]
    details["result"] = failing[0] if failing else "pass"
    details["authorizes"] = not failing


def _limit_findings(domain: str, tree: SpfTree) -> list[Finding]:
    findings = [
        Finding("spf_invalid", Severity.FAIL, f"The SPF record at {domain} is broken: {p}.")
        for p in tree.problems
    ]
    if tree.lookups > MAX_LOOKUPS:
        text = (
            f"SPF at {domain} needs {tree.lookups} DNS lookups, more than the limit of {MAX_LOOKUPS}, "
            "so receivers treat it as an error (permerror)."
        )
        findings.append(Finding("spf_too_many_lookups", Severity.FAIL, text))
    if tree.void_lookups > MAX_VOID_LOOKUPS:
        text = (
            f"SPF at {domain} makes {tree.void_lookups} void lookups (names with no records), more than "
            f"the limit of {MAX_VOID_LOOKUPS}, so receivers treat it as an error (permerror)."
        )
        findings.append(Finding("spf_too_many_lookups", Severity.FAIL, text))
    return findings


def _invalid(domain: str, reason: str, details: SpfDetails) -> AuthPart[SpfDetails]:
    finding = Finding("spf_invalid", Severity.FAIL, f"The SPF record at {domain} is invalid: {reason}.")
    return AuthPart(finding.summary, details, [finding])


def _missing(domain: str, provider: str) -> Finding:
    text = f"No SPF record at {domain}"
    if provider == "resend":
        text += f" (Resend's return path needs `v=spf1 include:{RESEND_INCLUDE} ~all` there)"
    text += "."
    return Finding("spf_missing", Severity.WARN, text)


def _not_authorized(domain: str, provider: str, details: SpfDetails) -> Finding:
    if provider == "resend":
        text = f"SPF at {domain} does not include {RESEND_INCLUDE}, which Resend sends through."
    else:
        results = ", ".join(f"{ip}: {result}" for ip, result in details.get("ip_results", {}).items())
        text = f"SPF at {domain} does not authorize the sending IPs ({results})."
    return Finding("spf_provider_not_authorized", Severity.WARN, text)


def _summary(domain: str, details: SpfDetails, findings: list[Finding]) -> str:
    if findings:
        return " ".join(finding.summary for finding in findings)
    authorizes = {True: " and authorizes the sender", None: ""}.get(details["authorizes"], "")
    return f"SPF at {domain} is valid ({details['lookups']} of {MAX_LOOKUPS} DNS lookups){authorizes}."
