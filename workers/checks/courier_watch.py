"""The courier watch's look at one Kratos instance (SPEC §11, §16): the whole queue, however old.

Lists `queued`, `processing` and `abandoned` messages without a recipient filter or a time window
(Kratos's largest pages, following `Link rel="next"`, up to the listing cap: a count that reached it
is "at least"), finds the stuck ones by rule 5 as `/mailcheck status` does, the messages that became
`abandoned` since the last round (by when their status changed, whatever their creation time; each
counted once), and classifies the newest failed dispatch of each with the courier check's own rule-6
classification. Only counts leave this module, never an address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.checks.courier import classify_dispatches
from workers.checks.courier_status import message_age
from workers.clients.kratos import KratosAdmin, KratosError, kratos_time
from workers.core.times import CLOCK_SKEW
from workers.report.watch_sightings import CourierPart, CourierSample

DISPATCHES_FETCHED = 10  # dispatch histories read per round and kind, oldest stuck first
STATUSES = ("queued", "processing", "abandoned")
# Abandoned messages remembered as counted: longer than a round and Kratos's clock's skew from ours.
ABANDONED_MEMORY = timedelta(hours=2)


@dataclass(frozen=True)
class CourierRound:
    sample: CourierSample
    abandoned_ids: list[str]  # abandoned messages that changed recently: "seen" by the next round


def _changed_at(message: dict[str, Any]) -> datetime:
    return kratos_time(str(message.get("updated_at") or message["created_at"]))


async def _histories(kratos: KratosAdmin, messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return list(await asyncio.gather(*(kratos.dispatches(m["id"]) for m in messages)))


def _part(
    messages: list[dict[str, Any]],
    histories: list[list[dict[str, Any]]],
    now: datetime,
    *,
    complete: bool = True,
) -> CourierPart:
    if not messages:
        return CourierPart()
    failed = [
        (history, d) for history in histories for d in history if d["status"] == "failed" and d["error"]
    ]
    classification = next((found for h, _ in failed if (found := classify_dispatches(h))), None)
    return CourierPart(
        messages=len(messages),
        recipients=len({str(m.get("recipient") or "").lower() for m in messages}),
        oldest_age_s=int(max(message_age(m, now) for m in messages)),
        classification=classification,
        last_error=failed[0][1]["error"] if failed else "",
        complete=complete,
    )


async def _stuck(
    kratos: KratosAdmin,
    queued: list[dict[str, Any]],
    processing: list[dict[str, Any]],
    *,
    now: datetime,
    after: int,
    complete: bool,
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
    return _part(stuck, [by_id[m["id"]] for m in stuck if m["id"] in by_id], now, complete=complete)


async def courier_round(
    kratos: KratosAdmin,
    *,
    stuck_after: int,
    seen_abandoned: Collection[str],
    changed_since: datetime,
    now: datetime | None = None,
) -> CourierRound:
    """One instance's courier this round; Kratos failing is a sample with `error` set, never a raise.
    `changed_since`: the last round (the first round: WATCH_INTERVAL ago); `seen_abandoned`: the
    abandoned messages earlier rounds counted."""
    now = now or datetime.now(UTC)
    try:
        queued, processing, abandoned = await asyncio.gather(*(kratos.queue(status) for status in STATUSES))
        complete = queued.complete and processing.complete
        stuck = await _stuck(
            kratos, queued.messages, processing.messages, now=now, after=stuck_after, complete=complete
        )
        floor = changed_since - CLOCK_SKEW  # the memory of what was counted makes up for the margin
        new = [m for m in abandoned.messages if _changed_at(m) >= floor and m["id"] not in seen_abandoned]
        new_histories = await _histories(kratos, new[:DISPATCHES_FETCHED])
    except KratosError as exc:
        return CourierRound(CourierSample(error=str(exc)), list(seen_abandoned))
    recent = [m["id"] for m in abandoned.messages if _changed_at(m) >= now - ABANDONED_MEMORY]
    abandoned_part = _part(new, new_histories, now, complete=abandoned.complete)
    return CourierRound(CourierSample(stuck=stuck, abandoned=abandoned_part), recent)
