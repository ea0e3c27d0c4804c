"""Is one mailbox provider refusing us? (SPEC §15, seed step 5.)

Counts the account's last 24 hours of mail to the recipient's mailbox-provider group (`mailbox_group`)
against all other mail, through the adapter's traffic reader, and keeps the answer per (provider,
group) for a minute: a burst of reports for Gmail users asks the provider once a minute. Never raises
and never fails the check by itself: a provider that cannot be asked is a note. Only counts, the
group's domains and scrubbed reply texts are kept, never another recipient's address.

The `mailbox_provider` details section: `MailboxTrafficSection` (workers/report/details_provider.py):
group {key, name, domains} (the well-known domains and the recipient's own), window_hours (24), outcome
(counted | error), the group's messages, failed, bounced, deferred and percent, each message once by its
outcome, `other` (the same counts for every other domain), capped (a scan stopped at its cap: "at
least"), dominant_reply {reply, messages, category, side, mailbox_provider, meaning} | None, notes,
cached.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import dns.asyncresolver
import redis.asyncio

from workers.providers import cache as provider_cache
from workers.providers.adapter import ProviderAdapter
from workers.providers.http import ProviderError, ProviderHttp
from workers.providers.mailbox_group import MailboxGroup, group_for
from workers.providers.traffic import WINDOW, Tally, Traffic, TrafficQuery, domain_of
from workers.report.details_provider import (
    AccountTraffic,
    DominantReply,
    MailboxTraffic,
    MailboxTrafficSection,
    TrafficCounts,
)
from workers.report.replies import explain_reply

WINDOW_HOURS = int(WINDOW.total_seconds() // 3600)


async def read_mailbox_traffic(
    adapter: ProviderAdapter,
    email: str,
    *,
    api_key: str,
    api_url: str | None,
    stream: str,
    resolver: dns.asyncresolver.Resolver | None,
    cache: redis.asyncio.Redis | None,
    timeout: float,
    now: datetime,
) -> MailboxTrafficSection:
    group, group_note = await group_for(domain_of(email), resolver)
    key = provider_cache.traffic_key(adapter.name, group.domains)
    cached = await provider_cache.load(cache, key)
    if cached is not None:
        return {**cast(MailboxTraffic, cached), "cached": True}
    query = TrafficQuery({group.key: group.domains}, since=now - WINDOW, now=now, stream=stream, events=cache)
    ask = TrafficAsk(adapter, api_key, api_url, timeout)
    traffic = await ask.read(query)
    if isinstance(traffic, str):
        return {
            "group": group.to_dict(),
            "window_hours": WINDOW_HOURS,
            "outcome": "error",
            "notes": [traffic],
            "cached": False,
        }
    section = _section(group, traffic, [group_note] if group_note else [])
    await provider_cache.save(cache, key, dict(section))
    return {**section, "cached": False}


@dataclass(frozen=True)
class TrafficAsk:
    """One aggregate question to the provider, bounded by `timeout`."""

    adapter: ProviderAdapter
    api_key: str
    api_url: str | None
    timeout: float

    async def read(self, query: TrafficQuery) -> Traffic | str:
        """The traffic, or why it could not be read (a note); never raises."""
        adapter, hours = self.adapter, query.window_hours
        try:
            async with asyncio.timeout(self.timeout):
                async with ProviderHttp.open(
                    adapter.spec, api_key=self.api_key, api_url=self.api_url, timeout=self.timeout
                ) as http:
                    return await adapter.traffic(http, query)
        except ProviderError as exc:
            return f"the last {hours} h of mail could not be read: {exc}"
        except TimeoutError:
            return f"{adapter.label} did not list the last {hours} h within {self.timeout:g} s"


def not_counted(window_hours: int, note: str) -> AccountTraffic:
    """The courier watch's `traffic` section when the provider could not be asked."""
    return {"window_hours": window_hours, "outcome": "error", "notes": [note], "cached": False}


def _section(group: MailboxGroup, traffic: Traffic, notes: list[str]) -> MailboxTraffic:
    return {
        "group": group.to_dict(),
        "window_hours": WINDOW_HOURS,
        "outcome": "counted",
        **counts(traffic.groups.get(group.key, Tally())),
        "other": counts(traffic.other),
        "capped": traffic.capped,
        "dominant_reply": dominant_reply(traffic, group),
        "notes": notes + traffic.notes,
    }


def counts(tally: Tally) -> TrafficCounts:
    percent = round(100 * tally.failed / tally.messages) if tally.messages else 0
    return {
        "messages": tally.messages,
        "failed": tally.failed,
        "bounced": tally.bounced,
        "deferred": tally.deferred,
        "percent": percent,
    }


def dominant_reply(traffic: Traffic, group: MailboxGroup) -> DominantReply | None:
    """The group's most common failure reply, counted and explained (SPEC §15)."""
    replies = traffic.replies.get(group.key)
    if not replies:
        return None
    reply, messages = replies.most_common(1)[0]
    known = group.key if group.key != "domain" else None
    explanation = explain_reply(reply, mailbox_provider=known)
    return {"reply": reply, "messages": messages, **explanation.to_details()}
