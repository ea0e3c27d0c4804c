"""Check `sender_auth` (SPEC §5, runbook step 4): SPF, DKIM and DMARC of the sender domain.

The three parts look up DNS concurrently under one deadline; DMARC alignment is then decided from
what SPF and DKIM found. A resolver failure makes the check `error` (a DNS outage says nothing about
the records) while the parts that did get answers keep their findings as evidence. Before a missing
record or a failed lookup is reported, the vantage control query must show that our own resolver
works (SPEC §5); when it does not, the check is `error` naming DNS_NAMESERVERS, with no finding.

details: `SenderAuthDetails` (workers/report/details_dns.py): from_domain, provider, spf (`SpfDetails`), dkim
(`DkimDetails`), dmarc (`DmarcDetails`), and `errors` (the lookups the resolver failed on) when the check
is `error` for that. `SenderAuthUnread` when nothing was read: from_domain alone when the lookups ran out
of time, with provider and resolver_problem when our own resolver is broken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import dns.asyncresolver

from workers.checks.sender_auth.dkim import check_dkim
from workers.checks.sender_auth.dmarc import assess_dmarc, fetch_dmarc
from workers.checks.sender_auth.part import AuthPart
from workers.checks.sender_auth.spf import check_spf, spf_domain_for
from workers.clients.dns import broken_resolver_summary, vantage_problem
from workers.report.details_dns import (
    DkimDetails,
    DmarcDetails,
    SenderAuthDetails,
    SenderAuthUnread,
    SpfDetails,
)
from workers.report.model import CheckResult, Severity, Status


async def check_sender_auth(
    *,
    from_domain: str | None,
    provider: str,
    return_path_domain: str | None,
    dkim_selectors: Sequence[str],
    sending_ips: Sequence[str],
    relay_host: str | None,
    resolver: dns.asyncresolver.Resolver,
    timeout: float,
) -> CheckResult:
    if not from_domain:
        return CheckResult.skipped(
            "SPF, DKIM and DMARC were not checked: COURIER_SMTP_FROM_ADDRESS (the sender) is not set."
        )
    domain = from_domain.lower().rstrip(".")
    try:
        async with asyncio.timeout(timeout):
            spf, dkim, dmarc_lookup = await asyncio.gather(
                check_spf(
                    resolver=resolver,
                    from_domain=domain,
                    provider=provider,
                    return_path_domain=return_path_domain,
                    sending_ips=sending_ips,
                    relay_host=relay_host,
                ),
                check_dkim(
                    resolver=resolver, from_domain=domain, provider=provider, selectors=dkim_selectors
                ),
                fetch_dmarc(resolver, domain),
            )
    except TimeoutError:
        summary = f"The SPF, DKIM and DMARC lookups did not finish within {timeout:g} s."
        unread: SenderAuthUnread = {"from_domain": domain}
        result = CheckResult.error(summary, **unread)
    else:
        dmarc = assess_dmarc(
            dmarc_lookup,
            from_domain=domain,
            return_path=_return_path(domain, provider, return_path_domain),
            spf_authorizes=spf.details["authorizes"],
            dkim_usable=_dkim_usable(dkim),
        )
        result = _combine(domain, provider, spf, dkim, dmarc)
    names = [domain, spf_domain_for(domain, provider, return_path_domain)]
    return await _unless_resolver_broken(result, resolver, names, provider)


async def _unless_resolver_broken(
    result: CheckResult, resolver: dns.asyncresolver.Resolver, names: list[str], provider: str
) -> CheckResult:
    """A missing record or failed lookup only counts once the vantage control query works (SPEC §5)."""
    if result.status is Status.OK and not result.findings:
        return result  # every record was found: the resolver evidently works
    problem = await vantage_problem(resolver, names)
    if problem is None:
        return result
    summary = broken_resolver_summary(resolver, problem)
    unread: SenderAuthUnread = {"from_domain": names[0], "provider": provider, "resolver_problem": problem}
    return CheckResult.error(summary, **unread)


def _return_path(from_domain: str, provider: str, return_path_domain: str | None) -> str | None:
    """The envelope domain our mail really carries; None when it is the provider's own domain."""
    if return_path_domain or provider in ("resend", "smtp"):
        return spf_domain_for(from_domain, provider, return_path_domain)
    return None


def _dkim_usable(dkim: AuthPart[DkimDetails]) -> bool | None:
    if dkim.error or dkim.details["skipped_reason"]:
        return None
    return not any(f.code == "dkim_missing" for f in dkim.findings)


def _combine(
    domain: str,
    provider: str,
    spf: AuthPart[SpfDetails],
    dkim: AuthPart[DkimDetails],
    dmarc: AuthPart[DmarcDetails],
) -> CheckResult:
    parts = (spf, dkim, dmarc)
    findings = tuple(finding for part in parts for finding in part.findings)
    details: SenderAuthDetails = {
        "from_domain": domain,
        "provider": provider,
        "spf": spf.details,
        "dkim": dkim.details,
        "dmarc": dmarc.details,
    }
    errors = [part.error for part in parts if part.error]
    summary = " ".join(part.summary for part in parts)
    if errors:
        details["errors"] = errors
        return CheckResult(Status.ERROR, summary, dict(details), findings)
    severities = {finding.severity for finding in findings}
    status = Status.OK
    if Severity.FAIL in severities:
        status = Status.FAIL
    elif Severity.WARN in severities:
        status = Status.WARN
    return CheckResult(status, summary, dict(details), findings)
