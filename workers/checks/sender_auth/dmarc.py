"""The DMARC part of `sender_auth` (SPEC §5): the From domain's policy record (RFC 7489), found at
`_dmarc.<from-domain>` or else at the organizational domain, and whether SPF or DKIM can align.
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass

import dns.asyncresolver
from publicsuffixlist import PublicSuffixList

from workers.checks.sender_auth.part import AuthPart
from workers.clients.dns import DnsUnavailable, lookup
from workers.report.details_dns import DmarcDetails
from workers.report.model import Finding, Severity

POLICIES = ("none", "quarantine", "reject")
_VERSION = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.I)


class DmarcRecordError(ValueError):
    """The record breaks RFC 7489 §6.3; receivers ignore it."""


@functools.cache
def suffixes() -> PublicSuffixList:
    """Parsed once per process (~30-60 ms); RQ's worker parent parses it before it forks (diagnostics.preload)."""
    return PublicSuffixList()  # the list shipped inside the package: never fetched at run time


async def parsed_suffixes() -> PublicSuffixList:
    """`suffixes`, parsed in a thread the first time: on the loop it would hold every other check's
    replies, the SMTP dialogue's among them, for as long as the parse takes (`mailcheck check`)."""
    if suffixes.cache_info().currsize:
        return suffixes()
    return await asyncio.to_thread(suffixes)


def organizational_domain(domain: str) -> str:
    """The registered domain under the Public Suffix List (RFC 7489 §3.2)."""
    domain = domain.lower().rstrip(".")
    return suffixes().privatesuffix(domain) or domain


def aligned(identifier: str, from_domain: str, mode: str) -> bool:
    """Identifier alignment: `s` needs the same name, `r` the same organizational domain."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)


@dataclass
class DmarcLookup:
    domain: str | None = None  # where the record was found
    records: tuple[str, ...] = ()
    error: str | None = None  # the resolver failed


async def fetch_dmarc(resolver: dns.asyncresolver.Resolver, from_domain: str) -> DmarcLookup:
    await parsed_suffixes()
    candidates = dict.fromkeys([from_domain, organizational_domain(from_domain)])
    try:
        for domain in candidates:
            texts = [b"".join(r.strings) for r in await lookup(resolver, f"_dmarc.{domain}", "TXT")]  # type: ignore[attr-defined]
            records = tuple(
                t.decode("ascii", "replace") for t in texts if _VERSION.match(t.decode("latin-1"))
            )
            if records:
                return DmarcLookup(domain, records)
    except DnsUnavailable as exc:
        return DmarcLookup(error=str(exc))
    return DmarcLookup()


def parse_dmarc(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if not part.strip():
            continue
        if not equals:
            raise DmarcRecordError(f"malformed tag {part.strip()!r}")
        tags.setdefault(name.strip().lower(), value.strip())
    _check_tags(tags)
    return tags


def _check_tags(tags: dict[str, str]) -> None:
    if tags.get("p", "").lower() not in POLICIES:
        raise DmarcRecordError(f"p= must be one of {', '.join(POLICIES)} (got {tags.get('p')!r})")
    if "sp" in tags and tags["sp"].lower() not in POLICIES:
        raise DmarcRecordError(f"sp= must be one of {', '.join(POLICIES)} (got {tags['sp']!r})")
    if "pct" in tags and not (tags["pct"].isdigit() and int(tags["pct"]) <= 100):
        raise DmarcRecordError(f"pct= must be 0-100 (got {tags['pct']!r})")
    for mode in ("adkim", "aspf"):
        if mode in tags and tags[mode].lower() not in ("r", "s"):
            raise DmarcRecordError(f"{mode}= must be r or s (got {tags[mode]!r})")


def assess_dmarc(
    found: DmarcLookup,
    *,
    from_domain: str,
    return_path: str | None,
    spf_authorizes: bool | None,
    dkim_usable: bool | None,
) -> AuthPart[DmarcDetails]:
    """`return_path` is the envelope domain our mail really uses (None: the provider's own)."""
    details: DmarcDetails = {
        "domain": None,
        "record": None,
        "policy": None,
        "aligned_spf": None,
        "aligned_dkim": None,
    }
    if found.error:
        return AuthPart(f"DMARC could not be checked: {found.error}.", details, error=found.error)
    if not found.records:
        text = f"No DMARC record at _dmarc.{from_domain} or at its organizational domain."
        return AuthPart(text, details, [Finding("dmarc_missing", Severity.WARN, text)])
    details["domain"], details["record"] = f"_dmarc.{found.domain}", found.records[0]
    try:
        if len(found.records) > 1:
            raise DmarcRecordError(f"{len(found.records)} DMARC records; receivers use none of them")
        tags = parse_dmarc(found.records[0])
    except DmarcRecordError as exc:
        text = f"The DMARC record at _dmarc.{found.domain} is invalid, so receivers ignore it: {exc}."
        return AuthPart(text, details, [Finding("dmarc_invalid", Severity.FAIL, text)])
    _describe(details, tags, found.domain != from_domain)
    details["aligned_spf"] = _spf_alignment(return_path, from_domain, tags.get("aspf", "r"), spf_authorizes)
    details["aligned_dkim"] = dkim_usable  # our selectors sit under the From domain: d= is aligned
    return AuthPart(_summary(details), details, _policy_findings(details))


def _describe(details: DmarcDetails, tags: dict[str, str], inherited: bool) -> None:
    policy = tags["p"].lower()
    subdomain_policy = tags.get("sp", policy).lower()
    details["policy"] = policy
    details["subdomain_policy"] = subdomain_policy
    details["effective_policy"] = subdomain_policy if inherited else policy  # the org record's sp= applies
    details["pct"] = int(tags.get("pct", "100"))
    details["adkim"] = tags.get("adkim", "r").lower()
    details["aspf"] = tags.get("aspf", "r").lower()


def _spf_alignment(
    return_path: str | None, from_domain: str, mode: str, authorizes: bool | None
) -> bool | None:
    if return_path is None or not aligned(return_path, from_domain, mode.lower()):
        return False
    return authorizes  # aligned names still need SPF to pass


def _policy_findings(details: DmarcDetails) -> list[Finding]:
    if details["effective_policy"] != "none":
        return []
    text = f"DMARC policy is p=none at {details['domain']}: monitoring only, receivers enforce nothing."
    return [Finding("dmarc_policy_none", Severity.INFO, text)]


def _summary(details: DmarcDetails) -> str:
    def word(value: bool | None) -> str:
        return {True: "aligned", False: "not aligned", None: "unknown"}[value]

    text = (
        f"DMARC policy {details['effective_policy']} at {details['domain']}, with SPF "
        f"{word(details['aligned_spf'])} and DKIM {word(details['aligned_dkim'])}"
    )
    if details["aligned_spf"] is False and details["aligned_dkim"] is False:
        text += ": our mail cannot pass DMARC"
    return text + "."
