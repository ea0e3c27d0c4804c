"""`/mailcheck status`: the courier's health (SPEC §4.1, §16).

`queued` and `processing` messages count whatever their age (mail stuck for days is the evidence, not
noise); `abandoned` ones within the look-back window. The courier is stuck when the oldest queued
message without a dispatch attempt, or any processing message, is older than COURIER_STUCK_AFTER
(rule 5 of §6.1 applied to the whole queue).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.clients.kratos import KratosAdmin, kratos_time
from workers.report.courier_status import CourierStatus, QueueVerdict

OLDEST_PROBED = 5  # dispatch histories fetched for the oldest queued messages only
STATUSES = ("queued", "processing", "abandoned")


def message_age(message: dict[str, Any], now: datetime, field: str = "created_at") -> float:
    return (now - kratos_time(str(message.get(field) or message["created_at"]))).total_seconds()


async def _oldest_unattempted_age(kratos: KratosAdmin, queued: list[dict[str, Any]], now: datetime) -> float:
    oldest_first = sorted(queued, key=lambda m: str(m["created_at"]))[:OLDEST_PROBED]
    histories = await asyncio.gather(*(kratos.dispatches(m["id"]) for m in oldest_first))
    for message, dispatches in zip(oldest_first, histories, strict=True):
        if not dispatches:
            return message_age(message, now)
    return 0.0


async def courier_status(
    kratos: KratosAdmin, *, lookback_days: int, stuck_after: int, now: datetime | None = None
) -> CourierStatus:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=lookback_days)
    listings = await asyncio.gather(
        kratos.queue("queued"), kratos.queue("processing"), kratos.queue("abandoned", since=since)
    )
    at_least = frozenset(s for s, listing in zip(STATUSES, listings, strict=True) if not listing.complete)
    queued, processing, abandoned = (listing.messages for listing in listings)
    oldest = max((message_age(m, now) for m in queued), default=0.0)
    unattempted = await _oldest_unattempted_age(kratos, queued, now) if oldest > stuck_after else 0.0
    stuck = unattempted > stuck_after or any(
        message_age(m, now, "updated_at") > stuck_after for m in processing
    )
    return CourierStatus(
        queued=len(queued),
        processing=len(processing),
        abandoned=len(abandoned),
        oldest_queued_age_s=int(oldest),
        verdict=QueueVerdict.COURIER_STUCK if stuck else QueueVerdict.OK,
        at_least=at_least,
    )
