"""Block Kit for `/mailcheck status`: a pure function of the courier's health."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from workers.report.courier_status import CourierHealth, QueueVerdict
from workers.slack.ids import EventType
from workers.slack.text import escape


def failed_status_payload() -> dict[str, Any]:
    return {
        "state": "failed",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": QueueVerdict.ERROR,
    }


def render_status(
    health: CourierHealth | None, *, requester: str, lookback_days: int, reason: str = ""
) -> dict[str, Any]:
    """chat.postMessage arguments; `health` None means Kratos could not be examined (`reason`)."""
    if health is None:
        title, payload = "Courier status unknown", failed_status_payload()
        body = f":grey_question: Kratos's courier could not be examined: {escape(reason)}"
    else:
        stuck = health.verdict == QueueVerdict.COURIER_STUCK
        title = "Kratos's courier is stuck" if stuck else "Kratos's courier is healthy"
        payload = health.payload()
        body = (
            f"{':x:' if stuck else ':white_check_mark:'} last {lookback_days} days: "
            f"*{health.queued}* queued (oldest {health.oldest_queued_age_s} s), "
            f"*{health.processing}* processing, *{health.abandoned}* abandoned"
        )
    blocks = [
        HeaderBlock(text=title),
        SectionBlock(text=MarkdownTextObject(text=body)),
        ContextBlock(elements=[MarkdownTextObject(text=f"requested by <@{escape(requester)}>")]),
    ]
    return {
        "text": f"mailcheck status: {title}",
        "blocks": [block.to_dict() for block in blocks],
        "metadata": {"event_type": EventType.STATUS.value, "event_payload": payload},
    }
