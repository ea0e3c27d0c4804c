"""The `recipient` check (SPEC §5, seed step 6): can the recipient's domain receive mail at all?

Evidence for verdicts 1-2 (`disposable_domain`, `recipient_invalid`) and the mailbox provider behind
the MX for the advice text. A DNS outage is `error`, never an invalid recipient: the verdict engine then
skips rules 1-2 instead of blaming the user's address for our resolver's trouble. NXDOMAIN or "no MX"
only counts once the vantage control query shows our resolver works (SPEC §5); otherwise the check is
`error` naming DNS_NAMESERVERS, with no finding.

What the address itself says needs no DNS (SPEC §14): `recipient_domain_typo` (warn) for a domain that
`suggest_domain` takes for a typo of a well-known mailbox domain, standing whatever DNS says (typo
domains often have MX: squatters accept the mail), and `address_mixed_script` (warn). Both are in every
result, `error` included: the verdict reads no finding of an `error` check, but the report's findings
list, its text and its JSON show them, and their details are there.

details: `RecipientDetails` (workers/report/details_dns.py): domain, mx [{preference, exchange}] (most
preferred first), null_mx, nxdomain, implicit_mx, addresses (A/AAAA, only looked up when there is no MX),
disposable, disposable_match (the listed domain that matched, may be a parent), mailbox_provider (key or
None), mailbox_provider_name, note; always (errors included, `RecipientBase`) domain, disposable,
disposable_match, typo_of (the well-known domain this one is likely a typo of, or None),
suggested_address (the address with that domain, or None) and mixed_script ({"local_part": [scripts],
"domain": [scripts]} or None); `RecipientUnread` adds resolver_problem (the failed control query) when
our own resolver is broken.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
from disposable_email_domains import blocklist as _DISPOSABLE

from workers.clients.dns import broken_resolver_summary, failure_text, vantage_problem
from workers.report.address_forms import MixedScript, mixed_script
from workers.report.details_dns import (
    MixedScriptDetails,
    RecipientBase,
    RecipientDetails,
    RecipientUnread,
)
from workers.report.mailboxes import detect_provider
from workers.report.model import CheckResult, Finding, Severity, Status
from workers.report.typos import suggest_address, suggest_domain

IMPLICIT_MX_NOTE = "no MX record: mail goes to the domain's own A/AAAA address (implicit MX, RFC 5321 §5.1)"


@dataclass(frozen=True)
class _MailDns:
    nxdomain: bool = False
    mx: list[tuple[int, str]] = field(default_factory=list)
    null_mx: bool = False
    addresses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _AddressSigns:
    """What the address itself says, DNS or not (SPEC §14): a likely typo of its domain, mixed scripts."""

    domain: str
    typo_of: str | None
    suggested_address: str | None
    mixed: MixedScript | None

    @classmethod
    def of(cls, email: str, domain: str) -> _AddressSigns:
        typo_of = suggest_domain(domain)
        suggested = suggest_address(email) if typo_of else None
        return cls(domain, typo_of, suggested, mixed_script(email))

    def scripts(self) -> MixedScriptDetails | None:
        if not self.mixed:
            return None
        return {"local_part": list(self.mixed.local_part), "domain": list(self.mixed.domain)}

    def base(self, listed: str | None) -> RecipientBase:
        """The details of every result with a domain, `error` included."""
        return {
            "domain": self.domain,
            "disposable": listed is not None,
            "disposable_match": listed,
            "typo_of": self.typo_of,
            "suggested_address": self.suggested_address,
            "mixed_script": self.scripts(),
        }

    def suggestion(self) -> str:
        """`did the user mean jane@gmail.com?`, or "" without a typo."""
        if not self.typo_of:
            return ""
        return f"did the user mean {self.suggested_address or self.typo_of}?"

    def findings(self, found: _MailDns | None) -> list[Finding]:
        """The typo and mixed-script findings; `found`: what DNS said of the domain, when it was read."""
        findings: list[Finding] = []
        if self.typo_of:
            text = f"{self.domain} looks like a typo of {self.typo_of}: {self.suggestion()}"
            if found is not None and (found.mx or found.addresses) and not found.null_mx:
                text += (
                    f" {self.domain} accepts mail, so mail sent there may have reached whoever owns it "
                    "(typo domains are often registered to catch such mail)."
                )
            findings.append(Finding("recipient_domain_typo", Severity.WARN, text))
        if self.mixed:
            text = (
                f"The address mixes scripts ({self.mixed.summary()}): a look-alike letter, pasted from a "
                "chat or a document, makes it another address than the one it looks like."
            )
            findings.append(Finding("address_mixed_script", Severity.WARN, text))
        return findings


def domain_of(email: str) -> str | None:
    _, at, domain = email.strip().rpartition("@")
    domain = domain.strip().lower().rstrip(".")
    return domain if at and domain else None


def disposable_match(domain: str) -> str | None:
    """The listed domain that `domain` is or lies under (sub.mailinator.com → mailinator.com).

    Stops above single labels: the list holds registrable names, never bare TLDs.
    """
    labels = domain.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in _DISPOSABLE:
            return candidate
    return None


async def check_recipient(email: str, *, resolver: dns.asyncresolver.Resolver, timeout: float) -> CheckResult:
    domain = domain_of(email)
    if domain is None:
        return CheckResult.error("This is not an email address: it has no domain part.")
    listed = disposable_match(domain)
    signs = _AddressSigns.of(email, domain)
    try:
        name = dns.name.from_text(domain)
    except dns.exception.DNSException as exc:
        return _dns_error(f"{domain} is not a valid domain name ({exc}).", signs, listed)
    try:
        async with asyncio.timeout(timeout):
            found = await _lookup(name, resolver)
    except TimeoutError:
        reason = f"got no answer within {timeout:g} s"
    except dns.exception.DNSException as exc:
        reason = failure_text(exc)
    else:
        if found.mx or found.addresses:  # a positive answer: the resolver evidently works
            return _result(signs, found, listed)
        reason = ""
    problem = await vantage_problem(resolver, [domain])
    if problem is not None:
        return _dns_error(broken_resolver_summary(resolver, problem), signs, listed, resolver_problem=problem)
    if reason:
        return _dns_error(
            f"The mail lookup of {domain} {reason}, so whether it can receive mail is unknown.", signs, listed
        )
    return _result(signs, found, listed)


async def _lookup(name: dns.name.Name, resolver: dns.asyncresolver.Resolver) -> _MailDns:
    try:
        answer = await resolver.resolve(name, "MX")
    except dns.resolver.NXDOMAIN:
        return _MailDns(nxdomain=True)
    except dns.resolver.NoAnswer:
        return await _implicit_mx(name, resolver)
    records = sorted((rdata.preference, rdata.exchange) for rdata in answer)
    # RFC 7505: a single "0 ." MX says the domain accepts no mail at all.
    null_mx = len(records) == 1 and records[0][0] == 0 and records[0][1] == dns.name.root
    mx = [(pref, exchange.to_text(omit_final_dot=True)) for pref, exchange in records]
    if null_mx:
        mx = [(0, ".")]
    return _MailDns(mx=mx, null_mx=null_mx)


async def _implicit_mx(name: dns.name.Name, resolver: dns.asyncresolver.Resolver) -> _MailDns:
    """No MX: RFC 5321 §5.1 falls back to the domain's own address records."""
    outcomes = await asyncio.gather(
        resolver.resolve(name, "A"), resolver.resolve(name, "AAAA"), return_exceptions=True
    )
    addresses = [
        rdata.to_text()
        for outcome in outcomes
        if isinstance(outcome, dns.resolver.Answer)
        for rdata in outcome
    ]
    if addresses:  # one family answering is enough, even if the other timed out
        return _MailDns(addresses=addresses)
    if any(isinstance(outcome, dns.resolver.NXDOMAIN) for outcome in outcomes):
        return _MailDns(nxdomain=True)  # the name vanished between the MX and the A query
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, dns.resolver.NoAnswer):
            raise outcome  # unknown, not "no address": let the boundary turn it into `error`
    return _MailDns()


def _dns_error(
    summary: str, signs: _AddressSigns, listed: str | None, resolver_problem: str | None = None
) -> CheckResult:
    """`error`: whether the domain can receive mail is unknown. No DNS finding (SPEC §5), but the
    address's own findings, which need no DNS, are kept and said."""
    if listed:
        summary += f" ({signs.domain} is on the disposable-domain list.)"
    findings = tuple(signs.findings(None))
    summary = " ".join([summary, *(finding.summary for finding in findings)])
    base = signs.base(listed)
    if resolver_problem is None:
        return CheckResult(Status.ERROR, summary, dict(base), findings)
    unread: RecipientUnread = {**base, "resolver_problem": resolver_problem}
    return CheckResult(Status.ERROR, summary, dict(unread), findings)


def _dns_findings(signs: _AddressSigns, found: _MailDns, listed: str | None) -> list[Finding]:
    domain = signs.domain
    findings: list[Finding] = []
    if listed is not None:
        via = "" if listed == domain else f" (under {listed})"
        findings.append(
            Finding(
                "disposable_domain",
                Severity.FAIL,
                f"{domain}{via} is a disposable (throw-away) email domain.",
            )
        )
    if found.nxdomain:
        findings.append(
            Finding(
                "recipient_nxdomain",
                Severity.FAIL,
                f"The domain {domain} does not exist (NXDOMAIN), so it cannot receive mail: "
                + (signs.suggestion() or "a typo?"),
            )
        )
    elif found.null_mx:
        findings.append(
            Finding("recipient_null_mx", Severity.FAIL, f"{domain} publishes a null MX: it accepts no mail.")
        )
    elif not found.mx and not found.addresses:
        text = f"{domain} has no MX and no A/AAAA record, so mail to it has nowhere to go."
        findings.append(Finding("recipient_no_mx", Severity.FAIL, text))
    return findings


def _status(findings: list[Finding]) -> Status:
    severities = {finding.severity for finding in findings}
    if Severity.FAIL in severities:
        return Status.FAIL
    return Status.WARN if Severity.WARN in severities else Status.OK


def _result(signs: _AddressSigns, found: _MailDns, listed: str | None) -> CheckResult:
    domain = signs.domain
    exchanges = [exchange for _, exchange in found.mx] if not found.null_mx else []
    provider = detect_provider(domain, exchanges)
    implicit = not found.mx and bool(found.addresses)
    details: RecipientDetails = {
        "domain": domain,
        "mx": [{"preference": pref, "exchange": exchange} for pref, exchange in found.mx],
        "null_mx": found.null_mx,
        "nxdomain": found.nxdomain,
        "implicit_mx": implicit,
        "addresses": found.addresses,
        "disposable": listed is not None,
        "disposable_match": listed,
        "mailbox_provider": provider.key if provider else None,
        "mailbox_provider_name": provider.name if provider else None,
        "typo_of": signs.typo_of,
        "suggested_address": signs.suggested_address,
        "mixed_script": signs.scripts(),
    }
    if implicit:
        details["note"] = IMPLICIT_MX_NOTE
    dns_findings = _dns_findings(signs, found, listed)
    findings = dns_findings + signs.findings(found)
    status = _status(findings)
    # The NXDOMAIN sentence already carries the suggestion: the typo finding's would repeat it.
    said = [f.summary for f in findings if not (found.nxdomain and f.code == "recipient_domain_typo")]
    if not dns_findings:
        said.insert(0, _ok_summary(domain, exchanges, implicit, details))
    return CheckResult(status, " ".join(said), dict(details), tuple(findings))


def _ok_summary(domain: str, exchanges: list[str], implicit: bool, details: RecipientDetails) -> str:
    where = f"MX {exchanges[0]}" if exchanges else "its A/AAAA address (no MX record)"
    summary = f"{domain} accepts mail via {where}"
    if details["mailbox_provider_name"]:
        summary += f" — {details['mailbox_provider_name']}"
    return (summary if not implicit else summary + " (implicit MX, RFC 5321 §5.1)") + "."
