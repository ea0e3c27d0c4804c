"""Block Kit for `/mailcheck status`: a pure function of the courier's health."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from workers.report.courier_status import STUCK, CourierHealth, InstanceHealth, total_payload
from workers.slack.ids import EventType
from workers.slack.render import escape


def failed_status_payload() -> dict[str, Any]:
    return {
        "state": "failed",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": "error",
    }


def _counts(health: CourierHealth, lookback_days: int) -> str:
    stuck = health.verdict == STUCK
    return (
        f"{':x:' if stuck else ':white_check_mark:'} last {lookback_days} days: "
        f"*{health.queued}* queued (oldest {health.oldest_queued_age_s} s), "
        f"*{health.processing}* processing, *{health.abandoned}* abandoned"
    )


def render_status(
    health: CourierHealth | None, *, requester: str, lookback_days: int, reason: str = ""
) -> dict[str, Any]:
    """chat.postMessage arguments; `health` None means Kratos could not be examined (`reason`)."""
    if health is None:
        title, payload = "Courier status unknown", failed_status_payload()
        body = f":grey_question: Kratos's courier could not be examined: {escape(reason)}"
    else:
        stuck = health.verdict == STUCK
        title = "Kratos's courier is stuck" if stuck else "Kratos's courier is healthy"
        payload = health.payload()
        body = _counts(health, lookback_days)
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


def render_instances_status(
    found: list[InstanceHealth], *, requester: str, lookback_days: int
) -> dict[str, Any]:
    """chat.postMessage arguments for several Kratos instances: one line each, totals in the metadata."""
    payload = total_payload(found)
    lines = []
    for item in found:
        name = f"*{escape(item.instance)}*"
        if item.health is None:
            lines.append(f":grey_question: {name}: the courier could not be examined: {escape(item.reason)}")
        else:
            lines.append(f"{name}: {_counts(item.health, lookback_days)}")
    stuck = [item.instance for item in found if item.health is not None and item.health.verdict == STUCK]
    if stuck:
        title = "Kratos's courier is stuck on " + ", ".join(stuck)
    elif payload["state"] == "failed":
        title = "Courier status unknown"
    else:
        title = "Kratos's courier is healthy" + ("" if all(i.health for i in found) else " where it answered")
    blocks = [
        HeaderBlock(text=title[:150]),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:2900])),
        ContextBlock(elements=[MarkdownTextObject(text=f"requested by <@{escape(requester)}>")]),
    ]
    return {
        "text": f"mailcheck status: {title}",
        "blocks": [block.to_dict() for block in blocks],
        "metadata": {"event_type": EventType.STATUS.value, "event_payload": payload},
    }
