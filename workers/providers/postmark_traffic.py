"""Postmark: the account's recent mail, counted per mailbox-provider group (reference/providers.md §11.4).

Postmark filters server-side, so the denominators cost one small call each: `GET /messages/outbound`
with `recipient=@<domain>` and `count=1` gives each group domain's `TotalCount`, and without
`recipient` the whole stream's. Failures come from one scan of `GET /bounces` over the window (at most
`BOUNCE_PAGE_CAP` pages of 500, deferrals being `Transient`/`SoftBounce` records), grouped by domain
here; only when that scan stops at its cap is each group domain asked again with `emailFilter=@<domain>`,
so the group's numbers stay whole. Dates are US Eastern time. With `failing_only` (the courier watch,
asking about every mailbox provider) only the groups the scan saw failing are totalled, after the scan.

Calls per aggregate: 1 + |domains totalled| + 1..`BOUNCE_PAGE_CAP` (+ those domains when the scan was
capped), at most `CONCURRENCY` at once. Postmark publishes no API rate limit. A deferral that was later delivered still
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
    upfront = [] if query.failing_only else list(query.groups)
    async with concurrently() as group:
        everything = group.create_task(_bounded(gate, _total(http, query, None)))
        scan = group.create_task(_bounces(http, query, None))
        totals = group.create_task(_group_totals(http, query, upfront, gate))
    bounces, capped = scan.result()
    traffic = Traffic(capped=capped)
    if capped:
        traffic.notes.append(
            f"Postmark bounce scan stopped after {BOUNCE_PAGE_CAP * BOUNCE_PAGE_SIZE} bounces of the last "
            f"{query.window_hours} h"
        )
        bounces = await _rescanned(http, query, bounces, gate)
    failures = Traffic()
    count(_sightings(bounces, query), query, failures)
    group_totals = totals.result()
    failing = [k for k, tally in failures.groups.items() if tally.failed and k not in group_totals]
    group_totals |= await _group_totals(http, query, failing, gate)
    for key, total in group_totals.items():
        traffic.groups[key] = _with_total(failures.groups.get(key, Tally()), total)
    traffic.other = _with_total(failures.other, everything.result() - sum(group_totals.values()))
    traffic.replies = failures.replies
    return traffic


async def _group_totals(
    http: ProviderHttp, query: TrafficQuery, keys: list[str], gate: asyncio.Semaphore
) -> dict[str, int]:
    """Each group's messages in the window: one small call per domain of the group."""
    asked = [(key, domain) for key in keys for domain in sorted(query.groups[key])]
    async with concurrently() as group:
        tasks = [group.create_task(_bounded(gate, _total(http, query, domain))) for _, domain in asked]
    totals = dict.fromkeys(keys, 0)
    for (key, _), task in zip(asked, tasks, strict=True):
        totals[key] += task.result()
    return totals


async def _rescanned(
    http: ProviderHttp, query: TrafficQuery, bounces: list[Bounce], gate: asyncio.Semaphore
) -> list[Bounce]:
    """A capped scan, made whole for the groups that matter: each of their domains asked on its own
    (every group's for a report; for the watch, those of groups the capped scan saw failing)."""
    seen = {query.group_of(domain_of(b.Email)) for b in bounces}
    keys = [key for key in query.groups if not query.failing_only or key in seen]
    domains = sorted(domain for key in keys for domain in query.groups[key])
    async with concurrently() as group:
        again = [group.create_task(_bounded(gate, _bounces(http, query, d))) for d in domains]
    wanted = set(domains)
    kept = [b for b in bounces if domain_of(b.Email) not in wanted]
    return kept + [b for task in again for b in task.result()[0] if domain_of(b.Email) in wanted]


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
