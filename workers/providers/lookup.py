"""The questions put to the configured provider, through its adapter: what it saw of mail to one
recipient, with the From domain's verification and the 24-hour aggregate beside it (judged together as
the provider check's result), and lifting the recipient's suppression.

Both entry points are bounded by one timeout and never raise: a provider that cannot be asked about the
recipient is an `error` result.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import dns.asyncresolver
import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.assessment import assess
from workers.providers.base import RemovalOutcome, RemovalResult
from workers.providers.http import ProviderError, ProviderHttp, concurrently
from workers.providers.mailbox_traffic import read_mailbox_traffic
from workers.providers.sender_domain import read_sender_domain
from workers.providers.timeline import build_details
from workers.report.details_provider import (
    MailboxTrafficSection,
    ProviderDetails,
    ProviderUnread,
    SenderDomainSection,
)
from workers.report.model import CheckResult

# The sections end (as notes) before the recipient's part would time out the whole check.
SECTION_SHARE_OF_TIMEOUT = 0.8


@dataclass(frozen=True)
class Sections:
    """What the provider check asks besides the recipient's own mail (SPEC §15): the From domain's
    verification and the last 24 hours of mail to the recipient's mailbox-provider group."""

    from_domain: str | None
    domain_token: str | None  # what `adapter.domains` reads with (the API key, or Postmark's account token)
    resolver: dns.asyncresolver.Resolver | None = None  # the recipient's MX and the records' DNS


async def look_up(
    adapter: ProviderAdapter,
    email: str,
    *,
    api_key: str,
    api_url: str | None,
    postmark_stream: str,
    lookback_days: int,
    cache: redis.asyncio.Redis | None,
    timeout: float,
    now: datetime | None = None,
    sections: Sections | None = None,
) -> CheckResult:
    """What the provider saw of mail to `email` in the last `lookback_days`, with the `sections` asked
    concurrently, judged; `cache` holds the short-lived answers and the Resend webhook events.

    Only the recipient's own mail decides `error`: a section that cannot be read is a note, bounded by
    its own share of `timeout`, and is dropped (cancelled) when the recipient's part fails."""
    recipient = Recipient(email.strip().lower(), stream=postmark_stream, events=cache)
    now = now or datetime.now(UTC)
    part = _RecipientPart(adapter, recipient, api_key, api_url, cache, timeout, lookback_days)
    asked = _SectionAsk(adapter, recipient, api_key, api_url, cache, timeout * SECTION_SHARE_OF_TIMEOUT, now)
    try:
        async with concurrently() as group:
            main = group.create_task(part.details(now))
            extra = (
                (group.create_task(asked.sender_domain(sections)), group.create_task(asked.traffic(sections)))
                if sections is not None
                else None
            )
    except ProviderError as exc:
        unread: ProviderUnread = {"provider": adapter.name, "error": exc.kind}
        if exc.setting:
            unread["setting"] = exc.setting
        return CheckResult.error(str(exc), **unread)
    except TimeoutError:
        unanswered: ProviderUnread = {"provider": adapter.name, "error": "unavailable"}
        return CheckResult.error(f"{adapter.label} API did not answer within {timeout:g} s", **unanswered)
    details = main.result()
    if extra is not None:
        details = with_sections(details, extra[0].result(), extra[1].result())
    return assess(details)


@dataclass(frozen=True)
class _RecipientPart:
    adapter: ProviderAdapter
    recipient: Recipient
    api_key: str
    api_url: str | None
    cache: redis.asyncio.Redis | None
    timeout: float
    lookback_days: int

    async def details(self, now: datetime) -> ProviderDetails:
        """The recipient's details (cached per recipient); raises ProviderError or TimeoutError."""
        adapter, cache = self.adapter, self.cache
        key = provider_cache.cache_key(adapter.name, self.recipient.email)
        cached = await provider_cache.load(cache, key)
        if cached is not None:
            return {**cast(ProviderDetails, cached), "cached": True}
        since = now - timedelta(days=self.lookback_days)
        async with asyncio.timeout(self.timeout):
            async with ProviderHttp.open(
                adapter.spec, api_key=self.api_key, api_url=self.api_url, timeout=self.timeout
            ) as http:
                record = await adapter.fetch(http, self.recipient, since=since, now=now)
        details = build_details(adapter.name, record, since=since, lookback_days=self.lookback_days)
        details["cached"] = False
        await provider_cache.save(cache, key, dict(details))
        return details


@dataclass(frozen=True)
class _SectionAsk:
    """The two sections, each bounded by `timeout` (a share of the check's) and never raising."""

    adapter: ProviderAdapter
    recipient: Recipient
    api_key: str
    api_url: str | None
    cache: redis.asyncio.Redis | None
    timeout: float
    now: datetime

    async def sender_domain(self, sections: Sections) -> SenderDomainSection:
        return await read_sender_domain(
            self.adapter,
            sections.from_domain,
            token=sections.domain_token,
            api_url=self.api_url,
            resolver=sections.resolver,
            cache=self.cache,
            timeout=self.timeout,
        )

    async def traffic(self, sections: Sections) -> MailboxTrafficSection:
        return await read_mailbox_traffic(
            self.adapter,
            self.recipient.email,
            api_key=self.api_key,
            api_url=self.api_url,
            stream=self.recipient.stream,
            resolver=sections.resolver,
            cache=self.cache,
            timeout=self.timeout,
            now=self.now,
        )


def with_sections(
    details: ProviderDetails, sender_domain: SenderDomainSection, mailbox_provider: MailboxTrafficSection
) -> ProviderDetails:
    """The recipient's details with the two sections; their notes join the check's notes."""
    notes = list(details.get("notes", []))
    note = sender_domain.get("note")
    notes += [note] if note else []
    notes += mailbox_provider.get("notes", [])
    return {**details, "sender_domain": sender_domain, "mailbox_provider": mailbox_provider, "notes": notes}


async def remove_suppression(
    adapter: ProviderAdapter,
    email: str,
    *,
    api_key: str,
    api_url: str | None,
    postmark_stream: str,
    timeout: float,
    cache: redis.asyncio.Redis | None = None,
) -> RemovalResult:
    """Lift the recipient's suppression (the unsuppress button) and drop the cached answer; never raises."""
    recipient = Recipient(email.strip().lower(), stream=postmark_stream)
    try:
        async with asyncio.timeout(timeout):
            async with ProviderHttp.open(
                adapter.spec, api_key=api_key, api_url=api_url, timeout=timeout
            ) as http:
                result = await adapter.remove(http, recipient)
    except ProviderError as exc:
        return RemovalResult(RemovalOutcome.ERROR, str(exc))
    except TimeoutError:
        return RemovalResult(RemovalOutcome.ERROR, f"{adapter.label} API did not answer within {timeout:g} s")
    if result.ok:
        await provider_cache.forget(cache, provider_cache.cache_key(adapter.name, recipient.email))
    return result
