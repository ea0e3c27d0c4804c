"""Whose mail the 24-hour aggregate compares (SPEC §15): the recipient's mailbox-provider group.

The group is the well-known consumer domains of the mailbox provider behind the recipient's domain
(Microsoft: outlook.com, hotmail.*, live.*, msn.com …; Google: gmail.com, googlemail.com) plus the
recipient's own domain; every other recipient domain is "other mail". The provider is named from the
recipient domain's MX hosts (`workers/report/mailboxes.py`), so a Microsoft 365 company domain joins
Outlook.com's group; a consumer domain needs no DNS at all. A provider we cannot name leaves the
recipient's own domain alone in its group.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncresolver

from workers.clients.dns import DnsUnavailable, lookup
from workers.report.details_provider import MailboxGroupDetails
from workers.report.mailboxes import CONSUMER_DOMAINS, MailboxProvider, detect_provider, provider_for_domain


@dataclass(frozen=True)
class MailboxGroup:
    key: str  # the mailbox provider's key ("microsoft"), or "domain" when it could not be named
    name: str  # "Microsoft (Outlook.com / Microsoft 365)", or the recipient's domain
    domains: frozenset[str]

    def to_dict(self) -> MailboxGroupDetails:
        return {"key": self.key, "name": self.name, "domains": sorted(self.domains)}


async def group_for(
    domain: str, resolver: dns.asyncresolver.Resolver | None
) -> tuple[MailboxGroup, str | None]:
    """The group, and a note when the MX lookup failed (the group is then the domain alone)."""
    domain = domain.strip().lower().rstrip(".")
    provider = provider_for_domain(domain)
    note = None
    if provider is None and resolver is not None:
        try:
            answers = await lookup(resolver, domain, "MX")
        except DnsUnavailable as exc:
            note = f"the mailbox provider of {domain} is unknown ({exc}), so only {domain} is compared"
            answers = []
        exchanges = sorted(answers, key=lambda mx: getattr(mx, "preference", 0))
        provider = detect_provider(domain, [str(getattr(mx, "exchange", "")) for mx in exchanges])
    return _group(domain, provider), note


def every_group() -> dict[str, MailboxGroup]:
    """Every well-known mailbox provider's consumer domains, by provider key (the courier watch's
    groups: it has no recipient, and a company domain's provider would cost an MX lookup a domain)."""
    domains: dict[MailboxProvider, set[str]] = {}
    for name, owner in CONSUMER_DOMAINS.items():
        domains.setdefault(owner, set()).add(name)
    return {
        owner.key: MailboxGroup(owner.key, owner.name, frozenset(names)) for owner, names in domains.items()
    }


def _group(domain: str, provider: MailboxProvider | None) -> MailboxGroup:
    if provider is None:
        return MailboxGroup("domain", domain, frozenset({domain}))
    consumer = {name for name, owner in CONSUMER_DOMAINS.items() if owner == provider}
    return MailboxGroup(provider.key, provider.name, frozenset(consumer | {domain}))
