"""What `/mailcheck status` reports about the courier's queue (SPEC §4.1): plain data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from workers.report.model import Verdict


class QueueVerdict(enum.StrEnum):
    """The `verdict` of the `mailcheck_status` metadata: rule 5 of §6.1 applied to the whole queue."""

    COURIER_STUCK = Verdict.COURIER_STUCK.value
    OK = "ok"
    ERROR = "error"  # Kratos could not be examined


@dataclass(frozen=True)
class CourierStatus:
    """`queued`/`processing` count whatever the message's age; `abandoned` within the look-back window
    (SPEC §16). A listing that stopped at its page cap makes its count a lower bound: its status is in
    `at_least` (and then `oldest_queued_age_s` too, for `queued`)."""

    queued: int
    processing: int
    abandoned: int
    oldest_queued_age_s: int
    verdict: QueueVerdict
    at_least: frozenset[str] = field(default_factory=frozenset)

    def payload(self) -> dict[str, Any]:
        """The flat §4.1 payload: the integers counted (the text says when they are lower bounds)."""
        return {
            "state": "complete",
            "queued": self.queued,
            "processing": self.processing,
            "abandoned": self.abandoned,
            "oldest_queued_age_s": self.oldest_queued_age_s,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class InstanceStatus:
    """One Kratos instance's courier (SPEC §12); `health` None when it could not be examined (`reason`)."""

    instance: str
    health: CourierStatus | None
    reason: str = ""


def failed_payload() -> dict[str, Any]:
    """The §4.1 payload when Kratos could not be examined: `failed`, verdict `error`, counts 0."""
    return {
        "state": "failed",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": QueueVerdict.ERROR,
    }


def total_payload(found: list[InstanceStatus]) -> dict[str, Any]:
    """The flat §4.1 `mailcheck_status` payload over several instances: counts summed over the instances
    that answered, the oldest queued age their maximum, `courier_stuck` when any is stuck; `failed` (and
    verdict `error`, counts 0) only when none answered. Which instance failed is in the message text."""
    answered = [item.health for item in found if item.health is not None]
    if not answered:
        return failed_payload()
    return CourierStatus(
        queued=sum(h.queued for h in answered),
        processing=sum(h.processing for h in answered),
        abandoned=sum(h.abandoned for h in answered),
        oldest_queued_age_s=max(h.oldest_queued_age_s for h in answered),
        verdict=(
            QueueVerdict.COURIER_STUCK
            if any(h.verdict == QueueVerdict.COURIER_STUCK for h in answered)
            else QueueVerdict.OK
        ),
    ).payload()


def count_text(count: int, status: str, health: CourierStatus) -> str:
    """A count as the message shows it: "at least N" when its listing stopped at the page cap."""
    return f"at least {count}" if status in health.at_least else str(count)
