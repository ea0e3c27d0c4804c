"""Resend: the account's recent mail, counted per mailbox-provider group (reference/providers.md §11.4).

Resend has no recipient, date or status filter, so `GET /emails` is scanned newest first (at most
`PAGE_CAP` pages of 100, stopping at the window) and each email is counted once per recipient domain
by its `last_event`. The list carries no reply text: the group's failure replies come from the stored
webhook events (`resend_webhook`) of at most `MAX_REPLY_LOOKUPS` failed emails, read from Redis in one
pipeline.
Calls per aggregate: at most `PAGE_CAP` GETs, of Resend's per-team budget of a few a second.
"""

from __future__ import annotations

import asyncio
import dataclasses

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from workers.providers import resend_webhook
from workers.providers.base import DeliveryEvent, strip_smtp_prefix
from workers.providers.http import ProviderHttp
from workers.providers.resend_emails import LAST_EVENT, PAGE_SIZE, Email, Scan, addresses
from workers.providers.traffic import Sighting, Traffic, TrafficQuery, count, domain_of

PAGE_CAP = 5  # 500 emails
MAX_REPLY_LOOKUPS = 100  # one Redis pipeline
STORE_TIMEOUT_S = 0.5
_FAILURES = frozenset({DeliveryEvent.BOUNCED_HARD, DeliveryEvent.DEFERRED})
_REPLY_EVENTS = frozenset({"email.bounced", "email.delivery_delayed"})


async def read_traffic(http: ProviderHttp, query: TrafficQuery) -> Traffic:
    traffic = Traffic()
    scan = Scan(http, since=query.since, page_cap=PAGE_CAP)
    sightings: list[Sighting] = []
    failed: dict[str, str] = {}  # email id → one failed recipient in the group (kept in memory only)
    async for item in scan.emails():
        sightings.extend(_sightings(item, query, failed))
    replies = await _replies(query.events, failed, traffic)
    sightings = [dataclasses.replace(s, reply=replies.get(s.message_id)) for s in sightings]
    count(sightings, query, traffic)
    if scan.capped:
        traffic.capped = True
        traffic.notes.append(
            f"Resend scan stopped after {PAGE_CAP * PAGE_SIZE} emails of the last {query.window_hours} h"
        )
    if any(t.failed for t in traffic.groups.values()) and not traffic.replies:
        traffic.notes.append(
            "Resend shows bounce and deferral replies only through webhooks (RESEND_WEBHOOK_SECRET)"
        )
    return traffic


def _sightings(item: Email, query: TrafficQuery, failed: dict[str, str]) -> list[Sighting]:
    implied = LAST_EVENT.get(item.last_event or "")
    if implied is None and item.last_event in ("sent", "queued"):
        implied = DeliveryEvent.SENT
    if implied is None:  # failed, canceled, scheduled: never offered to a mailbox provider
        return []
    found = []
    for value in addresses(item.to):
        address = resend_webhook.recipient_address(value)
        domain = domain_of(address)
        found.append(Sighting(item.id, domain, implied, item.created_at))
        in_group = query.group_of(domain) is not None
        if in_group and implied in _FAILURES and len(failed) < MAX_REPLY_LOOKUPS:
            failed.setdefault(item.id, address)
    return found


async def _replies(events: AsyncRedis | None, failed: dict[str, str], traffic: Traffic) -> dict[str, str]:
    """email id → the receiving server's reply, from the webhook events stored for its recipient."""
    if events is None or not failed:
        return {}
    try:
        async with asyncio.timeout(STORE_TIMEOUT_S):
            stored = await resend_webhook.load_events_of(events, list(failed.values()))
    except (RedisError, TimeoutError):
        traffic.notes.append("stored Resend webhook events could not be read")
        return {}
    replies = {}
    for email_id, items in zip(failed, stored, strict=True):
        for item in reversed(items):  # the newest first
            if item.get("email_id") == email_id and item.get("type") in _REPLY_EVENTS:
                reply = strip_smtp_prefix(_text(item.get("diagnostic"))) or _text(item.get("bounce_message"))
                if reply:
                    replies[email_id] = reply
                    break
    return replies


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
