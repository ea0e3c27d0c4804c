"""Brevo: the account's recent mail, counted per mailbox-provider group (reference/providers.md §11.4).

The unaggregated event report filters by one exact address only, so the window's events are read per
event type (`GET /v3/smtp/statistics/events?event=…&startDate&endDate`, newest first, `limit`/`offset`)
and grouped by recipient domain here. `days=1` would mean "today" (not the last 24 hours), so the two
dates are given and the window is cut to the hour here. `requests` (accepted) is not read: a message
counts once it was delivered, deferred or bounced, which keeps the budget to four event types.

Budget: the events endpoint shares Brevo's 300 requests an hour with every `/v3/smtp/*` call of the
account. Calls per aggregate: 4 (one per event type), at most `PAGE_CAP` each (8) for a very busy day.
"""

from __future__ import annotations

from pydantic import BaseModel

from workers.providers.base import DeliveryEvent, ProviderTime, strip_smtp_prefix
from workers.providers.http import ProviderHttp, concurrently
from workers.providers.traffic import Sighting, Traffic, TrafficQuery, count, domain_of

PAGE_SIZE = 2500  # Brevo's default
PAGE_CAP = 2
# Event filter → what it says of a message. softBounces are Brevo's temporary failures: deferrals.
EVENT_TYPES: dict[str, DeliveryEvent] = {
    "delivered": DeliveryEvent.DELIVERED,
    "deferred": DeliveryEvent.DEFERRED,
    "softBounces": DeliveryEvent.DEFERRED,
    "hardBounces": DeliveryEvent.BOUNCED_HARD,
}


class _Event(BaseModel):
    email: str
    date: ProviderTime
    messageId: str | None = None
    reason: str | None = None


class _EventPage(BaseModel):
    events: list[_Event] = []  # Brevo answers {} when nothing matched


async def read_traffic(http: ProviderHttp, query: TrafficQuery) -> Traffic:
    traffic = Traffic()
    async with concurrently() as group:
        tasks = [group.create_task(_events(http, query, name)) for name in EVENT_TYPES]
    sightings: list[Sighting] = []
    for task in tasks:
        found, capped = task.result()
        sightings.extend(found)
        traffic.capped = traffic.capped or capped
    count(sightings, query, traffic)
    if traffic.capped:
        traffic.notes.append(
            f"Brevo event report stopped after {PAGE_CAP * PAGE_SIZE} events of one type in the last "
            f"{query.window_hours} h"
        )
    return traffic


async def _events(http: ProviderHttp, query: TrafficQuery, name: str) -> tuple[list[Sighting], bool]:
    kind = EVENT_TYPES[name]
    found: list[Sighting] = []
    for page_number in range(PAGE_CAP):
        params: dict[str, str | int] = {
            "event": name,
            "startDate": query.since.date().isoformat(),
            "endDate": query.now.date().isoformat(),
            "limit": PAGE_SIZE,
            "offset": page_number * PAGE_SIZE,
            "sort": "desc",
        }
        page = http.parse(_EventPage, await http.get_json("/smtp/statistics/events", params))
        for item in page.events:
            if item.messageId and item.date >= query.since:
                reply = strip_smtp_prefix(item.reason)
                found.append(Sighting(item.messageId, domain_of(item.email), kind, item.date, reply))
        if len(page.events) < PAGE_SIZE:
            return found, False
    return found, True
