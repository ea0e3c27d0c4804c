"""What `/mailcheck status` reports about the courier's queue (SPEC §4.1): plain data."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any

from workers.report.model import Verdict


class QueueVerdict(enum.StrEnum):
    """The `verdict` of the `mailcheck_status` metadata: rule 4 of §6.1 applied to the whole queue."""

    COURIER_STUCK = Verdict.COURIER_STUCK.value
    OK = "ok"
    ERROR = "error"  # Kratos could not be examined


@dataclass(frozen=True)
class CourierHealth:
    queued: int
    processing: int
    abandoned: int
    oldest_queued_age_s: int
    verdict: QueueVerdict

    def payload(self) -> dict[str, Any]:
        return {"state": "complete", **asdict(self)}
