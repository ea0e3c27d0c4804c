"""Postmark's Bounce API records, what each bounce type means, and the dates Postmark reads.

A temporary failure is a deferral, never a bounce (SPEC §15): `Transient` ("message delayed"),
`SoftBounce` ("unable to temporarily deliver") and `DnsError` ("a temporary DNS error") are what
Postmark records while it retries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from workers.providers.base import DeliveryEvent, ProviderTime

_HARD = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "DMARCPolicy"})
_TEMPORARY = frozenset({"Transient", "SoftBounce", "DnsError"})
try:
    _EASTERN: ZoneInfo | None = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # no tz database: fixed offsets below, an hour wide of the window at worst
    _EASTERN = None


class Bounce(BaseModel):
    ID: int
    Type: str
    MessageID: str | None = None
    Email: str
    BouncedAt: ProviderTime
    Details: str | None = None
    Description: str | None = None
    Inactive: bool = False


class BouncePage(BaseModel):
    TotalCount: int = 0
    Bounces: list[Bounce]


def bounce_type(bounce: Bounce) -> DeliveryEvent | None:
    if bounce.Type == "SpamComplaint":
        return DeliveryEvent.COMPLAINED
    if bounce.Type in _HARD:
        return DeliveryEvent.BOUNCED_HARD
    if bounce.Type in _TEMPORARY:
        return DeliveryEvent.DEFERRED
    # AutoResponder, AddressChange, Unknown, …: only a deactivated address makes them a failure.
    return DeliveryEvent.BOUNCED_HARD if bounce.Inactive else None


def eastern(moment: datetime, *, end: bool = False) -> str:
    """`fromdate`/`todate` as Postmark reads them: US Eastern local time (official SDK docstring)."""
    # Without a tz database: EST for a start, EDT for an end, so the window can only grow.
    fixed = moment - timedelta(hours=4 if end else 5)
    local = moment.astimezone(_EASTERN) if _EASTERN is not None else fixed
    return local.strftime("%Y-%m-%dT%H:%M:%S")
