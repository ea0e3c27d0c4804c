"""Resend: what it saw of mail to one recipient (reference/providers.md §1); the sender domain and the
24-hour aggregate are in `resend_domains` and `resend_traffic`.

Resend cannot search by recipient, so `GET /emails` is paged newest first and filtered on `to` here,
stopping at the look-back window or `PAGE_CAP`. Its list only carries each email's `last_event`; the
timeline and SMTP replies come from webhook events stored by `resend_webhook`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from workers.core.times import parse_time
from workers.providers import resend_domains, resend_emails, resend_traffic, resend_webhook
from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.base import (
    DeliveryEvent,
    MessageEvent,
    ProviderRecord,
    ProviderTime,
    RemovalOutcome,
    RemovalResult,
    Suppression,
    strip_smtp_prefix,
)
from workers.providers.http import ProviderHttp
from workers.providers.resend_emails import LAST_EVENT, SPEC, Email, Scan, addresses

PAGE_SIZE = resend_emails.PAGE_SIZE
# 1,000 emails. Each page costs one request of a per-team budget of a few per second; a busy sender
# should rely on webhooks rather than deeper scans.
PAGE_CAP = 10
# Reading stored webhook events must not eat the check's budget when Redis is slow.
STORE_TIMEOUT_S = 0.5
DASHBOARD_URL = "https://resend.com/emails/{id}"  # [doc] the dashboard's email page

_WEBHOOK_EVENT = {
    "email.sent": DeliveryEvent.SENT,
    "email.delivered": DeliveryEvent.DELIVERED,
    "email.delivery_delayed": DeliveryEvent.DEFERRED,
    "email.complained": DeliveryEvent.COMPLAINED,
    "email.suppressed": DeliveryEvent.SUPPRESSED,
}
_BOUNCES = (DeliveryEvent.BOUNCED_HARD, DeliveryEvent.BOUNCED_SOFT)


class _Suppression(BaseModel):
    origin: str | None = None
    created_at: ProviderTime | None = None


async def fetch(
    http: ProviderHttp, recipient: Recipient, *, since: datetime, now: datetime
) -> ProviderRecord:
    email, events = recipient.email, recipient.events
    record = ProviderRecord()
    listed = await _emails_to(http, email, since, record)
    stored = await _webhook_events(events, email, record)
    record.events.extend(stored)
    for item in listed:
        record.sent_at[item.id] = item.created_at
        record.events.extend(_listed_events(item, [e for e in stored if e.message_id == item.id]))
    for message_id in {e.message_id for e in record.events}:
        record.dashboard_urls[message_id] = DASHBOARD_URL.format(id=quote(message_id, safe=""))
    record.suppression = await _suppression(http, email)
    troubles = (DeliveryEvent.BOUNCED_HARD, DeliveryEvent.BOUNCED_SOFT, DeliveryEvent.DEFERRED)
    if any(e.type in troubles and not e.reply for e in record.events):
        record.notes.append(
            "Resend shows bounce and deferral details only through webhooks: set RESEND_WEBHOOK_SECRET "
            "and point a Resend webhook at /webhooks/resend"
        )
    return record


async def _emails_to(http: ProviderHttp, email: str, since: datetime, record: ProviderRecord) -> list[Email]:
    scan = Scan(http, since=since, page_cap=PAGE_CAP)
    found = [item async for item in scan.emails() if email in _addresses(item.to)]
    if scan.capped:
        record.notes.append(
            f"Resend scan stopped after {PAGE_CAP * PAGE_SIZE} emails; older ones not examined"
        )
    return found


def _addresses(to: list[str] | str | None) -> set[str]:
    return {resend_webhook.recipient_address(value) for value in addresses(to)}


def _listed_events(item: Email, stored: list[MessageEvent]) -> list[MessageEvent]:
    """The list's own evidence, unless a webhook already told the same thing with a real time and reply."""
    events = [MessageEvent(item.id, DeliveryEvent.SENT, item.created_at)]
    implied = LAST_EVENT.get(item.last_event or "")
    seen = {e.type for e in stored}
    if implied and implied not in seen and not (implied in _BOUNCES and seen & set(_BOUNCES)):
        # The list gives no time for its last event; the send time is the best we have.
        events.append(MessageEvent(item.id, implied, item.created_at))
    return events


async def _webhook_events(
    events: AsyncRedis | None, email: str, record: ProviderRecord
) -> list[MessageEvent]:
    if events is None:
        return []
    try:
        async with asyncio.timeout(STORE_TIMEOUT_S):
            stored = await resend_webhook.load_events(events, email)
    except (RedisError, TimeoutError):
        record.notes.append("stored Resend webhook events could not be read")
        return []
    converted = []
    for item in stored:
        event = _from_webhook(item)
        if event is not None:
            converted.append(event)
            sent_at = _time(item.get("sent_at"))
            if sent_at is not None:  # for emails beyond the scanned pages
                record.sent_at.setdefault(event.message_id, sent_at)
    return converted


def _from_webhook(item: dict[str, Any]) -> MessageEvent | None:
    kind = _WEBHOOK_EVENT.get(str(item.get("type")))
    if item.get("type") == "email.bounced":
        # Permanent → hard; Transient is a soft bounce after Resend gave up; Undetermined is not proof
        # the address is dead, so it is treated as soft (assumption).
        kind = (
            DeliveryEvent.BOUNCED_HARD
            if item.get("bounce_type") == "Permanent"
            else DeliveryEvent.BOUNCED_SOFT
        )
    at = _time(item.get("created_at"))
    if kind is None or at is None or not isinstance(item.get("email_id"), str):
        return None
    reply = strip_smtp_prefix(_text(item.get("diagnostic"))) or _text(item.get("bounce_message"))
    return MessageEvent(item["email_id"], kind, at, reply)


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


async def _suppression(http: ProviderHttp, email: str) -> Suppression | None:
    response = await http.request("GET", f"/suppressions/{quote(email, safe='')}", passthrough=(404,))
    if response.status_code == 404:  # not on the list (status code assumed; the docs show only 200)
        return None
    found = http.parse(_Suppression, http.json_of(response))
    return Suppression(reason=found.origin or "unknown", since=found.created_at, removable=True)


async def remove(http: ProviderHttp, recipient: Recipient) -> RemovalResult:
    email = recipient.email
    response = await http.request("DELETE", f"/suppressions/{quote(email, safe='')}", passthrough=(404,))
    if response.status_code == 404:
        return RemovalResult(RemovalOutcome.NOT_SUPPRESSED, "Resend has no suppression for this recipient")
    body = http.json_of(response)
    if isinstance(body, dict) and body.get("deleted") is True:
        return RemovalResult(
            RemovalOutcome.REMOVED,
            "Resend lifted the suppression; a new bounce or complaint suppresses again",
        )
    return RemovalResult(RemovalOutcome.ERROR, "Resend did not confirm the removal")


ADAPTER = ProviderAdapter(
    SPEC,
    fetch=fetch,
    remove=remove,
    domains=resend_domains.READER,
    traffic=resend_traffic.read_traffic,
    key_hint="RESEND_WEBHOOK_SECRET, with a webhook to /webhooks/resend, for bounce details",
)
