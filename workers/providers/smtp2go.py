"""SMTP2GO: what it saw of mail to one recipient (reference/providers.md §4); the sender domain and the
24-hour aggregate are in `smtp2go_domains` and `smtp2go_traffic`.

Every call is a POST with a JSON body (`smtp2go_api`). `/activity/search` (60 requests a minute)
filters by recipient server-side; `/suppression/view` answers for one address. Keys carry
per-endpoint permissions, so a denied endpoint is named as a configuration error like a 401 is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from workers.providers import smtp2go_domains, smtp2go_traffic
from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.base import (
    MessageEvent,
    ProviderRecord,
    ProviderTime,
    RemovalOutcome,
    RemovalResult,
    Suppression,
    strip_smtp_prefix,
    with_server,
)
from workers.providers.http import ProviderHttp, concurrently
from workers.providers.smtp2go_api import EVENTS, SPEC, Activity, ActivityAnswer, post

PAGE_SIZE = 500
PAGE_CAP = 2
_SEARCHED = ["processed", "delivered", "soft-bounced", "hard-bounced", "rejected", "spam"]
# Every suppression type; the API requires the list (its default would only lift manual and spam).
_ALL_REASONS = ["bounce", "spam", "manual", "unsubscribe", "compliance"]


class _Suppressed(BaseModel):
    email_address: str
    reason: str | None = None
    timestamp: ProviderTime | None = None


class _SuppressionData(BaseModel):
    results: list[_Suppressed] = []


class _SuppressionAnswer(BaseModel):
    data: _SuppressionData


async def fetch(
    http: ProviderHttp, recipient: Recipient, *, since: datetime, now: datetime
) -> ProviderRecord:
    email = recipient.email
    record = ProviderRecord()
    async with concurrently() as group:
        events = group.create_task(_activity(http, email, since, now, record))
        suppression = group.create_task(_suppression(http, email))
    record.events.extend(events.result())
    record.suppression = suppression.result()
    return record


async def _activity(
    http: ProviderHttp, email: str, since: datetime, now: datetime, record: ProviderRecord
) -> list[MessageEvent]:
    body: dict[str, Any] = {
        "search_recipient": email,
        "start_date": since.date().isoformat(),
        "end_date": (now + timedelta(days=1)).date().isoformat(),  # end date read as exclusive (assumption)
        "event_types": _SEARCHED,
        "limit": PAGE_SIZE,
        "only_latest": False,
    }
    found: list[MessageEvent] = []
    for _ in range(PAGE_CAP):
        page = http.parse(ActivityAnswer, await post(http, "/activity/search", body)).data
        found.extend(event for item in page.events if (event := _event(item, email)) is not None)
        if not page.continue_token:
            return found
        body["continue_token"] = page.continue_token
    record.notes.append(f"SMTP2GO activity search stopped after {PAGE_CAP * PAGE_SIZE} events")
    return found


def _event(item: Activity, email: str) -> MessageEvent | None:
    kind = EVENTS.get(item.event)
    if kind is None or (item.recipient and item.recipient.lower() != email):
        return None
    reply = strip_smtp_prefix(item.smtp_response) or strip_smtp_prefix(item.reason)
    return MessageEvent(item.email_id, kind, item.date, with_server(reply, item.host))


async def _suppression(http: ProviderHttp, email: str) -> Suppression | None:
    answer = http.parse(_SuppressionAnswer, await post(http, "/suppression/view", {"email_address": email}))
    domain = email.rsplit("@", 1)[-1]
    for entry in answer.data.results:
        address = entry.email_address.lower()
        if address == email:
            return Suppression(entry.reason or "unknown", entry.timestamp, removable=True)
        if address == domain:
            # A whole-domain block: lifting it is a decision for the account owner, not a button.
            return Suppression(
                f"{entry.reason or 'unknown'} (whole domain)", entry.timestamp, removable=False
            )
    return None


async def remove(http: ProviderHttp, recipient: Recipient) -> RemovalResult:
    email = recipient.email
    answer = await post(http, "/suppression/remove", {"email_address": email, "reasons": _ALL_REASONS})
    data = answer.get("data") if isinstance(answer, dict) else None
    entries = data.get("suppressions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return RemovalResult(RemovalOutcome.ERROR, "SMTP2GO did not confirm the removal")
    if any(isinstance(e, dict) and e.get("removed") is True for e in entries):
        return RemovalResult(RemovalOutcome.REMOVED, "SMTP2GO lifted the suppression")
    return RemovalResult(RemovalOutcome.NOT_SUPPRESSED, "SMTP2GO has no suppression for this recipient")


ADAPTER = ProviderAdapter(
    SPEC, fetch=fetch, remove=remove, domains=smtp2go_domains.READER, traffic=smtp2go_traffic.read_traffic
)
