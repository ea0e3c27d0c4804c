"""What `/mailcheck status` reports about the courier's queue (SPEC §4.1): plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STUCK, OK = "courier_stuck", "ok"


@dataclass(frozen=True)
class CourierHealth:
    queued: int
    processing: int
    abandoned: int
    oldest_queued_age_s: int
    verdict: str

    def payload(self) -> dict[str, Any]:
        return {"state": "complete", **asdict(self)}
