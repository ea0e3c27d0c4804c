"""What the courier watch asks the provider about the whole account (SPEC §11, §15): is the From domain
verified there, and is one mailbox provider refusing or deferring our mail in the last hour?

Reuses the report's two sections: `sender_domain.read_sender_domain` as it is, and the traffic readers of
`mailbox_traffic` with a one-hour window counted for every well-known mailbox provider at once
(`mailbox_group.every_group`), cached per provider for a minute like the rest, so that rounds more
often than a minute ask once. Never raises: a provider that cannot be asked is a note (`outcome`
`error`), which the watch turns into an `error` line on open alerts, never an opening.

The `traffic` section (`AccountTraffic`, workers/report/details_provider.py):
  window_hours    1
  outcome         counted | error
  groups          [{"key", "name", "messages", "failed", "bounced", "deferred", "percent",
                    "dominant_reply"}], most failures first; a group without messages in the window is
                  absent (for Postmark, whose totals cost a call a domain, a group without failures too)
  capped          bool: a scan stopped at its cap, so the counts cover only what was read ("at least")
  notes           caveats
  cached          bool
Only counts, the groups' names and scrubbed reply texts: never a recipient's address.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import dns.asyncresolver
import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter
from workers.providers.mailbox_group import every_group
from workers.providers.mailbox_traffic import TrafficAsk, counts, dominant_reply, not_counted
from workers.providers.sender_domain import not_read, read_sender_domain
from workers.providers.traffic import Traffic, TrafficQuery
from workers.report.details_provider import AccountTraffic, GroupTally, SenderDomainSection

WATCH_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class AccountLook:
    label: str  # the provider's name, as findings say it
    sender_domain: SenderDomainSection  # the `sender_domain` section of the provider check
    traffic: AccountTraffic  # see the module's docstring

    @classmethod
    def unanswered(cls, label: str, note: str, window: timedelta = WATCH_WINDOW) -> AccountLook:
        """Both questions unanswered (the provider did not answer in time): an outage, not a verdict."""
        hours = round(window.total_seconds() / 3600)
        return cls(label, not_read(None, "error", note), not_counted(hours, note))


@dataclass(frozen=True)
class AccountAsk:
    adapter: ProviderAdapter
    api_key: str
    api_url: str | None
    stream: str  # Postmark's message stream
    from_domain: str | None
    domain_token: str | None  # what the adapter reads domains with (the key, or Postmark's account token)
    timeout: float


async def look_at_account(
    ask: AccountAsk,
    *,
    resolver: dns.asyncresolver.Resolver | None,
    cache: redis.asyncio.Redis | None,
    now: datetime,
    window: timedelta = WATCH_WINDOW,
) -> AccountLook:
    """Both questions at once, each bounded by `ask.timeout`."""
    domain, traffic = await asyncio.gather(
        read_sender_domain(
            ask.adapter,
            ask.from_domain,
            token=ask.domain_token,
            api_url=ask.api_url,
            resolver=resolver,
            cache=cache,
            timeout=ask.timeout,
        ),
        read_traffic_by_group(ask, cache=cache, now=now, window=window),
    )
    return AccountLook(ask.adapter.label, domain, traffic)


async def read_traffic_by_group(
    ask: AccountAsk, *, cache: redis.asyncio.Redis | None, now: datetime, window: timedelta = WATCH_WINDOW
) -> AccountTraffic:
    """The last `window` of mail, counted for every mailbox provider (the `traffic` section)."""
    groups = every_group()
    hours = round(window.total_seconds() / 3600)
    domains = [domain for group in groups.values() for domain in group.domains]
    key = provider_cache.traffic_key(ask.adapter.name, domains, hours)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return {**cast(AccountTraffic, cached), "cached": True}
    query = TrafficQuery(
        {k: g.domains for k, g in groups.items()},
        since=now - window,
        now=now,
        stream=ask.stream,
        events=cache,
        failing_only=True,
    )
    traffic = await TrafficAsk(ask.adapter, ask.api_key, ask.api_url, ask.timeout).read(query)
    if isinstance(traffic, str):
        return not_counted(hours, traffic)
    section = _section(traffic, hours)
    await provider_cache.save(cache, key, dict(section))
    return {**section, "cached": False}


def _section(traffic: Traffic, hours: int) -> AccountTraffic:
    groups = every_group()
    ranked = sorted(
        ((key, tally) for key, tally in traffic.groups.items() if tally.messages),
        key=lambda pair: (-pair[1].failed, pair[0]),
    )
    counted: list[GroupTally] = [
        {
            "key": key,
            "name": groups[key].name,
            **counts(tally),
            "dominant_reply": dominant_reply(traffic, groups[key]),
        }
        for key, tally in ranked
    ]
    return {
        "window_hours": hours,
        "outcome": "counted",
        "groups": counted,
        "capped": traffic.capped,
        "notes": list(traffic.notes),
    }
