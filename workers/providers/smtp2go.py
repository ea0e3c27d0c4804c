"""SMTP2GO: what it saw of mail to one recipient (reference/providers.md §4).

Every call is a POST with a JSON body. `/activity/search` (60 requests a minute) filters by recipient
server-side; `/suppression/view` answers for one address. Keys carry per-endpoint permissions, so a
403 names the permission problem as a configuration error like a 401 does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.base import (
    DeliveryEvent,
    MessageEvent,
    ProviderRecord,
    ProviderSpec,
    ProviderTime,
    RemovalOutcome,
    RemovalResult,
    Suppression,
    strip_smtp_prefix,
    with_server,
)
from workers.providers.http import ProviderError, ProviderHttp, concurrently

SPEC = ProviderSpec(
    name="smtp2go",
    label="SMTP2GO",
    base_url="https://api.smtp2go.com/v3",
    auth_header="X-Smtp2go-Api-Key",
    # ⚠ UNCONFIRMED still current (2017 spec); Retry-After is tried first.
    reset_headers=("x-ratelimit-reset",),
)
PAGE_SIZE = 500
PAGE_CAP = 2
_SEARCHED = ["processed", "delivered", "soft-bounced", "hard-bounced", "rejected", "spam"]
_EVENTS = {
    "processed": DeliveryEvent.SENT,
    "delivered": DeliveryEvent.DELIVERED,
    "soft-bounced": DeliveryEvent.BOUNCED_SOFT,
    "hard-bounced": DeliveryEvent.BOUNCED_HARD,
    "rejected": DeliveryEvent.SUPPRESSED,  # SMTP2GO refused to send it (recipient on its suppression list)
    "spam": DeliveryEvent.COMPLAINED,
}
# Every suppression type; the API requires the list (its default would only lift manual and spam).
_ALL_REASONS = ["bounce", "spam", "manual", "unsubscribe", "compliance"]


class _Activity(BaseModel):
    email_id: str
    date: ProviderTime
    event: str
    recipient: str | None = None
    smtp_response: str | None = None
    reason: str | None = None
    host: str | None = None


class _ActivityData(BaseModel):
    events: list[_Activity] = []
    continue_token: str | None = None


class _ActivityAnswer(BaseModel):
    data: _ActivityData


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


async def _post(http: ProviderHttp, path: str, body: dict[str, Any]) -> Any:
    """SMTP2GO may report a failure as {"data": {"error", "error_code"}} even with a 2xx status."""
    answer = await http.post_json(path, body)
    data = answer.get("data") if isinstance(answer, dict) else None
    if isinstance(data, dict) and data.get("error"):
        code = str(data.get("error_code") or "")
        raise ProviderError(http.shown(f"SMTP2GO refused {path}: {code or data['error']}"))
    return answer


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
        page = http.parse(_ActivityAnswer, await _post(http, "/activity/search", body)).data
        found.extend(event for item in page.events if (event := _event(item, email)) is not None)
        if not page.continue_token:
            return found
        body["continue_token"] = page.continue_token
    record.notes.append(f"SMTP2GO activity search stopped after {PAGE_CAP * PAGE_SIZE} events")
    return found


def _event(item: _Activity, email: str) -> MessageEvent | None:
    kind = _EVENTS.get(item.event)
    if kind is None or (item.recipient and item.recipient.lower() != email):
        return None
    reply = strip_smtp_prefix(item.smtp_response) or strip_smtp_prefix(item.reason)
    return MessageEvent(item.email_id, kind, item.date, with_server(reply, item.host))


async def _suppression(http: ProviderHttp, email: str) -> Suppression | None:
    answer = http.parse(_SuppressionAnswer, await _post(http, "/suppression/view", {"email_address": email}))
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
    answer = await _post(http, "/suppression/remove", {"email_address": email, "reasons": _ALL_REASONS})
    data = answer.get("data") if isinstance(answer, dict) else None
    entries = data.get("suppressions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return RemovalResult(RemovalOutcome.ERROR, "SMTP2GO did not confirm the removal")
    if any(isinstance(e, dict) and e.get("removed") is True for e in entries):
        return RemovalResult(RemovalOutcome.REMOVED, "SMTP2GO lifted the suppression")
    return RemovalResult(RemovalOutcome.NOT_SUPPRESSED, "SMTP2GO has no suppression for this recipient")


ADAPTER = ProviderAdapter(SPEC, fetch=fetch, remove=remove)
