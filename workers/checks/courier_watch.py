"""The courier watch's look at one Kratos instance (SPEC §11): the whole queue of the last hour.

Lists `queued`, `processing` and `abandoned` messages without a recipient filter (Kratos's largest
page, following `Link rel="next"`), finds the stuck ones by rule 4 as `/mailcheck status` does, the
abandoned ones not seen in an earlier round, and classifies the newest failed dispatch of each with
the courier check's own rule-5 classification. Only counts leave this module, never an address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from workers.checks.courier import classify_dispatches
from workers.checks.courier_health import message_age
from workers.clients.kratos import MAX_PAGE_SIZE, KratosAdmin, KratosError
from workers.report.details import DispatchDetails
from workers.report.watch_sightings import CourierPart, CourierSample

WINDOW = timedelta(hours=1)
DISPATCHES_FETCHED = 10  # dispatch histories read per round and kind, oldest stuck first
STATUSES = ("queued", "processing", "abandoned")


@dataclass(frozen=True)
class CourierRound:
    sample: CourierSample
    abandoned_ids: list[str]  # every abandoned message of the window, to be "seen" next round


async def _listed(kratos: KratosAdmin, status: str, since: datetime) -> list[dict[str, Any]]:
    return [
        m async for m in kratos.courier_messages(None, since=since, status=status, page_size=MAX_PAGE_SIZE)
    ]


async def _histories(kratos: KratosAdmin, messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return list(await asyncio.gather(*(kratos.dispatches(m["id"]) for m in messages)))


def _part(
    messages: list[dict[str, Any]], histories: list[list[dict[str, Any]]], now: datetime
) -> CourierPart:
    if not messages:
        return CourierPart()
    failed = [
        (history, d) for history in histories for d in history if d["status"] == "failed" and d["error"]
    ]
    classification = next(
        (found for h, _ in failed if (found := classify_dispatches(cast(list[DispatchDetails], h)))), None
    )
    return CourierPart(
        messages=len(messages),
        recipients=len({str(m.get("recipient") or "").lower() for m in messages}),
        oldest_age_s=int(max(message_age(m, now) for m in messages)),
        classification=classification,
        last_error=failed[0][1]["error"] if failed else "",
    )


async def _stuck(
    kratos: KratosAdmin,
    queued: list[dict[str, Any]],
    processing: list[dict[str, Any]],
    *,
    now: datetime,
    after: int,
) -> CourierPart:
    """Rule 4 on the whole queue: queued with no dispatch attempt, or processing, longer than `after`."""
    old_queued = sorted(
        (m for m in queued if message_age(m, now) > after), key=lambda m: str(m["created_at"])
    )
    waiting = [m for m in processing if message_age(m, now, "updated_at") > after]
    looked = old_queued[:DISPATCHES_FETCHED] + waiting[:DISPATCHES_FETCHED]
    histories = await _histories(kratos, looked)
    by_id = {m["id"]: h for m, h in zip(looked, histories, strict=True)}

    def attempted(message: dict[str, Any]) -> bool:
        # Beyond the fetched few, Kratos's own attempt counter tells whether a message was tried.
        if message["id"] in by_id:
            return bool(by_id[message["id"]])
        return int(message.get("send_count") or 0) > 0

    unattempted = [m for m in old_queued if not attempted(m)]
    stuck = unattempted + waiting
    return _part(stuck, [by_id[m["id"]] for m in stuck if m["id"] in by_id], now)


async def courier_round(
    kratos: KratosAdmin, *, stuck_after: int, seen_abandoned: Collection[str], now: datetime | None = None
) -> CourierRound:
    """One instance's courier this round; Kratos failing is a sample with `error` set, never a raise."""
    now = now or datetime.now(UTC)
    try:
        queued, processing, abandoned = await asyncio.gather(
            *(_listed(kratos, status, now - WINDOW) for status in STATUSES)
        )
        stuck = await _stuck(kratos, queued, processing, now=now, after=stuck_after)
        new = [m for m in abandoned if m["id"] not in seen_abandoned]
        new_histories = await _histories(kratos, new[:DISPATCHES_FETCHED])
    except KratosError as exc:
        return CourierRound(CourierSample(error=str(exc)), list(seen_abandoned))
    sample = CourierSample(stuck=stuck, abandoned=_part(new, new_histories, now))
    return CourierRound(sample, [m["id"] for m in abandoned])
