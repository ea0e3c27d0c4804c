"""Postmark: the last 24 hours of mail, counted for a mailbox-provider group (reference/providers.md §11.4).

Postmark filters server-side, so the denominators cost one small call each: `GET /messages/outbound`
with `recipient=@<domain>` and `count=1` gives each group domain's `TotalCount`, and without
`recipient` the whole stream's. Failures come from one scan of `GET /bounces` over the window (at most
`BOUNCE_PAGE_CAP` pages of 500, deferrals being `Transient`/`SoftBounce` records), grouped by domain
here; only when that scan stops at its cap is each group domain asked again with `emailFilter=@<domain>`,
so the group's numbers stay whole. Dates are US Eastern time.

Calls per aggregate: 1 + |group| + 1..`BOUNCE_PAGE_CAP` (+ |group| when the scan was capped), at most
`CONCURRENCY` at once. Postmark publishes no API rate limit. A deferral that was later delivered still
counts as deferred here: the Bounce API does not say, and asking each message's timeline would cost
one call per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from pydantic import BaseModel

from workers.providers.base import strip_smtp_prefix
from workers.providers.http import ProviderHttp, concurrently
from workers.providers.postmark_bounces import Bounce, BouncePage, bounce_type, eastern
from workers.providers.traffic import Sighting, Tally, Traffic, TrafficQuery, count, domain_of

BOUNCE_PAGE_SIZE = 500  # the API maximum
BOUNCE_PAGE_CAP = 4
CONCURRENCY = 6
T = TypeVar("T")


class _Count(BaseModel):
    TotalCount: int


async def read_traffic(http: ProviderHttp, query: TrafficQuery) -> Traffic:
    gate = asyncio.Semaphore(CONCURRENCY)
    domains = sorted(query.group)
    async with concurrently() as group:
        everything = group.create_task(_bounded(gate, _total(http, query, None)))
        per_domain = [group.create_task(_bounded(gate, _total(http, query, d))) for d in domains]
        scan = group.create_task(_bounces(http, query, None))
    bounces, capped = scan.result()
    traffic = Traffic(capped=capped)
    if capped:
        traffic.notes.append(
            f"Postmark bounce scan stopped after {BOUNCE_PAGE_CAP * BOUNCE_PAGE_SIZE} bounces of the last 24 h"
        )
        async with concurrently() as group:
            again = [group.create_task(_bounded(gate, _bounces(http, query, d))) for d in domains]
        bounces = [b for b in bounces if domain_of(b.Email) not in query.group]
        bounces += [b for task in again for b in task.result()[0] if domain_of(b.Email) in query.group]
    failures = Traffic()
    count(_sightings(bounces, query), query.group, failures)
    group_total = sum(task.result() for task in per_domain)
    traffic.group = _with_total(failures.group, group_total)
    traffic.other = _with_total(failures.other, everything.result() - group_total)
    traffic.replies = failures.replies
    return traffic


async def _bounded(gate: asyncio.Semaphore, call: Awaitable[T]) -> T:
    async with gate:
        return await call


def _window(query: TrafficQuery) -> dict[str, str | int]:
    return {
        "fromdate": eastern(query.since),
        "todate": eastern(query.now, end=True),
        "messagestream": query.stream,
    }


async def _total(http: ProviderHttp, query: TrafficQuery, domain: str | None) -> int:
    params: dict[str, str | int] = {"count": 1, "offset": 0, **_window(query)}
    if domain is not None:
        params["recipient"] = f"@{domain}"
    return http.parse(_Count, await http.get_json("/messages/outbound", params)).TotalCount


async def _bounces(http: ProviderHttp, query: TrafficQuery, domain: str | None) -> tuple[list[Bounce], bool]:
    """The window's bounce records (of one domain, or all), and whether the scan stopped at its cap."""
    found: list[Bounce] = []
    for page_number in range(BOUNCE_PAGE_CAP):
        params: dict[str, str | int] = {"count": BOUNCE_PAGE_SIZE, "offset": page_number * BOUNCE_PAGE_SIZE}
        params |= _window(query)
        if domain is not None:
            params["emailFilter"] = f"@{domain}"  # a "contains" match: the domain is checked again below
        page = http.parse(BouncePage, await http.get_json("/bounces", params))
        found.extend(b for b in page.Bounces if domain is None or domain_of(b.Email) == domain)
        if len(page.Bounces) < BOUNCE_PAGE_SIZE or (page_number + 1) * BOUNCE_PAGE_SIZE >= page.TotalCount:
            return found, False
    return found, True


def _sightings(bounces: list[Bounce], query: TrafficQuery) -> list[Sighting]:
    sightings = []
    for bounce in bounces:
        kind = bounce_type(bounce)
        if kind is None or bounce.BouncedAt < query.since:
            continue
        reply = strip_smtp_prefix(bounce.Details) or bounce.Description
        message_id = bounce.MessageID or f"bounce-{bounce.ID}"
        sightings.append(Sighting(message_id, domain_of(bounce.Email), kind, bounce.BouncedAt, reply))
    return sightings


def _with_total(failures: Tally, total: int) -> Tally:
    """The failed messages against all messages (a bounce of a message sent just before the window
    still counts, so the total is never below the failures)."""
    return Tally(
        messages=max(total, failures.bounced + failures.deferred),
        bounced=failures.bounced,
        deferred=failures.deferred,
    )
