"""Which provider message carried which Kratos courier message, and the judgement of the newest sent one.

Used by the provider check (against the courier messages of the report) and by a resend's follow-up
(against the one new message).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from workers.core.times import CLOCK_SKEW, parse_time
from workers.providers.assessment import assess
from workers.report.details_provider import ProviderMessage, provider_of
from workers.report.model import CheckResult

# A provider records a message when the courier hands it over: shortly after the courier message was
# created, or later when dispatches were retried.
CORRELATION_WINDOW = timedelta(minutes=15)


def correlate_with_courier(result: CheckResult, courier_messages: Sequence[Mapping[str, Any]]) -> CheckResult:
    """Tie provider messages to Kratos courier messages and judge the newest *sent* one.

    Pure: returns a new result. Courier messages are matched newest first, by the courier id when the
    provider's message id contains it, else to the closest provider message recorded at or after the
    courier message's creation (within `CORRELATION_WINDOW`).
    """
    found = provider_of(result)
    if found is None or "messages" not in found:
        return result
    couriers = [c for c in (_courier(m) for m in courier_messages) if c is not None]
    couriers.sort(key=lambda c: c[1], reverse=True)
    details = copy.deepcopy(found)
    messages = details["messages"]
    for message in messages:
        message["courier_message_id"] = None
    for courier_id, created_at, _status in couriers:
        match = _match(courier_id, created_at, messages)
        if match is not None:
            match["courier_message_id"] = courier_id
    sent = [c for c in couriers if c[2] == "sent"]
    if sent:
        details["newest"] = next((m for m in messages if m["courier_message_id"] == sent[0][0]), None)
        details["decisive"] = details["newest"]["reply"] if details["newest"] else None
        details["correlated"] = True
    return assess(details)


def _courier(message: Mapping[str, Any]) -> tuple[str, datetime, str] | None:
    try:
        created_at = parse_time(message.get("created_at"))
    except ValueError:
        return None
    courier_id = message.get("id")
    if not isinstance(courier_id, str):
        return None
    return courier_id, created_at, str(message.get("status", ""))


def _match(courier_id: str, created_at: datetime, messages: list[ProviderMessage]) -> ProviderMessage | None:
    free = [m for m in messages if m["courier_message_id"] is None]
    by_id = next((m for m in free if courier_id.lower() in str(m["id"]).lower()), None)
    if by_id is not None:
        return by_id
    candidates = []
    for message in free:
        delta = parse_time(message["sent_at"]) - created_at
        if -CLOCK_SKEW <= delta <= CORRELATION_WINDOW:
            candidates.append((abs(delta), message))
    return min(candidates, key=lambda pair: pair[0])[1] if candidates else None
