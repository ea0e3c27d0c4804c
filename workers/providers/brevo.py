"""Brevo: what it saw of mail to one recipient (reference/providers.md §3); the sender domain and the
24-hour aggregate are in `brevo_domains` and `brevo_traffic`.

The unaggregated event report filters by recipient server-side but shares a 300-an-hour budget with
every other `/v3/smtp/*` call of the account, so it is asked once per check (results are cached).
The blocklist has no address filter; it has its own generous budget and is paged up to a cap.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from pydantic import BaseModel

from workers.providers import brevo_domains, brevo_traffic
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
)
from workers.providers.http import ProviderHttp, concurrently

SPEC = ProviderSpec(
    name="brevo",
    label="Brevo",
    base_url="https://api.brevo.com/v3",
    auth_header="api-key",
    reset_headers=("x-sib-ratelimit-reset",),
)
EVENTS_PAGE_SIZE = 500
EVENTS_PAGE_CAP = 2  # each page spends the shared hourly budget
BLOCKED_PAGE_SIZE = 100  # the API maximum
BLOCKED_PAGE_CAP = 10  # 1,000 blocked contacts, newest first

# Event names as the report returns them, lower-cased. `error` (Brevo failed before sending),
# opened, clicks, unsubscribed and loadedByProxy add nothing to delivery.
_EVENTS = {
    "requests": DeliveryEvent.SENT,
    "delivered": DeliveryEvent.DELIVERED,
    "deferred": DeliveryEvent.DEFERRED,
    "softbounces": DeliveryEvent.DEFERRED,  # Brevo's temporary failure: a deferral (SPEC §15)
    "hardbounces": DeliveryEvent.BOUNCED_HARD,
    "invalid": DeliveryEvent.BOUNCED_HARD,  # Brevo judged the address undeliverable
    "spam": DeliveryEvent.COMPLAINED,
    "blocked": DeliveryEvent.SUPPRESSED,  # refused to send: the address is on the blocklist
}


class _Event(BaseModel):
    email: str
    date: ProviderTime
    messageId: str | None = None
    event: str
    reason: str | None = None


class _EventPage(BaseModel):
    events: list[_Event] = []  # Brevo omits the key when nothing matched (assumption: {} answer)


class _Reason(BaseModel):
    code: str | None = None


class _Blocked(BaseModel):
    email: str
    reason: _Reason | None = None
    blockedAt: ProviderTime | None = None


class _BlockedPage(BaseModel):
    contacts: list[_Blocked]  # [doc] present, possibly empty, unlike the event report's {}


async def fetch(
    http: ProviderHttp, recipient: Recipient, *, since: datetime, now: datetime
) -> ProviderRecord:
    email = recipient.email
    record = ProviderRecord()
    async with concurrently() as group:
        events = group.create_task(_events(http, email, since, now, record))
        blocked = group.create_task(_blocked(http, email))
    record.events.extend(events.result())
    record.suppression, complete = blocked.result()
    if not complete:
        record.notes.append(
            f"Brevo blocklist scan stopped after {BLOCKED_PAGE_CAP * BLOCKED_PAGE_SIZE} contacts"
        )
    if record.suppression is None and not complete:
        # The blocklist scan stopped early: a recent `blocked` event is the next best evidence.
        latest = max((e for e in record.events if e.type is DeliveryEvent.SUPPRESSED), key=_at, default=None)
        if latest is not None:
            record.suppression = Suppression("blocked", latest.at, removable=True)
    return record


def _at(event: MessageEvent) -> datetime:
    return event.at


async def _events(
    http: ProviderHttp, email: str, since: datetime, now: datetime, record: ProviderRecord
) -> list[MessageEvent]:
    found: list[MessageEvent] = []
    # startDate and endDate go together, inclusive dates; the day after today covers clock skew.
    params: dict[str, str | int] = {
        "email": email,
        "startDate": since.date().isoformat(),
        "endDate": (now + timedelta(days=1)).date().isoformat(),
        "limit": EVENTS_PAGE_SIZE,
        "sort": "desc",
    }
    for page_number in range(EVENTS_PAGE_CAP):
        params["offset"] = page_number * EVENTS_PAGE_SIZE
        page = http.parse(_EventPage, await http.get_json("/smtp/statistics/events", params))
        found.extend(event for item in page.events if (event := _event(item, email)) is not None)
        if len(page.events) < EVENTS_PAGE_SIZE:
            return found
    record.notes.append(f"Brevo event report stopped after {EVENTS_PAGE_CAP * EVENTS_PAGE_SIZE} events")
    return found


def _event(item: _Event, email: str) -> MessageEvent | None:
    kind = _EVENTS.get(item.event.lower())
    if kind is None or not item.messageId or item.email.lower() != email:
        return None
    return MessageEvent(item.messageId, kind, item.date, strip_smtp_prefix(item.reason))


async def _blocked(http: ProviderHttp, email: str) -> tuple[Suppression | None, bool]:
    """The recipient's blocklist entry, and whether the whole list was seen."""
    for page_number in range(BLOCKED_PAGE_CAP):
        params: dict[str, str | int] = {
            "limit": BLOCKED_PAGE_SIZE,
            "offset": page_number * BLOCKED_PAGE_SIZE,
            "sort": "desc",
        }
        page = http.parse(_BlockedPage, await http.get_json("/smtp/blockedContacts", params))
        for contact in page.contacts:
            if contact.email.lower() == email:
                reason = contact.reason.code if contact.reason and contact.reason.code else "blocked"
                return Suppression(reason, contact.blockedAt, removable=True), True
        if len(page.contacts) < BLOCKED_PAGE_SIZE:
            return None, True
    return None, False


async def remove(http: ProviderHttp, recipient: Recipient) -> RemovalResult:
    email = recipient.email
    response = await http.request(
        "DELETE", f"/smtp/blockedContacts/{quote(email, safe='')}", passthrough=(404,)
    )
    if response.status_code == 404:
        return RemovalResult(RemovalOutcome.NOT_SUPPRESSED, "Brevo has not blocked this recipient")
    return RemovalResult(RemovalOutcome.REMOVED, "Brevo unblocked the recipient")


ADAPTER = ProviderAdapter(
    SPEC, fetch=fetch, remove=remove, domains=brevo_domains.READER, traffic=brevo_traffic.read_traffic
)
