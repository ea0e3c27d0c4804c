"""Block Kit for `/mailcheck status`: a pure function of the courier's health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from workers.report.alerts import Alert
from workers.report.courier_status import (
    CourierStatus,
    InstanceStatus,
    QueueVerdict,
    count_text,
    failed_payload,
    total_payload,
)
from workers.slack.audit import slack_time
from workers.slack.ids import EventType
from workers.slack.render import HEADER_TEXT_MAX, SECTION_TEXT_MAX
from workers.slack.render_alert import TITLES
from workers.slack.text import clip, escape


def alerts_text(alerts: Sequence[Alert]) -> str:
    """The courier watch's open alerts (SPEC §11), one line each; counts, never addresses."""
    if not alerts:
        return ":white_check_mark: the courier watch has no open alert"
    lines = [
        f"• *{escape(TITLES.get(a.kind, a.kind))}* on `{escape(a.instance)}` since {slack_time(a.first_seen)}: "
        f"{a.count}× · {a.affected} recipient(s) · alert `{a.alert_id}`"
        for a in alerts
    ]
    return f":rotating_light: *{len(alerts)} open alert(s) of the courier watch*\n" + "\n".join(lines)


def _counts(health: CourierStatus, lookback_days: int) -> str:
    stuck = health.verdict == QueueVerdict.COURIER_STUCK
    queued, processing = (
        count_text(health.queued, "queued", health),
        count_text(health.processing, "processing", health),
    )
    oldest = count_text(health.oldest_queued_age_s, "queued", health)
    abandoned = count_text(health.abandoned, "abandoned", health)
    return (
        f"{':x:' if stuck else ':white_check_mark:'} *{queued}* queued (oldest {oldest} s), "
        f"*{processing}* processing, *{abandoned}* abandoned in the last {lookback_days} days"
    )


def render_status(
    health: CourierStatus | None,
    *,
    requester: str,
    lookback_days: int,
    reason: str = "",
    alerts: Sequence[Alert] | None = None,
) -> dict[str, Any]:
    """chat.postMessage arguments; `health` None means Kratos could not be examined (`reason`);
    `alerts` (None when the watch is off) are the watch's open alerts."""
    if health is None:
        title, payload = "Courier status unknown", failed_payload()
        body = f":grey_question: Kratos's courier could not be examined: {escape(reason)}"
    else:
        stuck = health.verdict == QueueVerdict.COURIER_STUCK
        title = "Kratos's courier is stuck" if stuck else "Kratos's courier is healthy"
        payload = health.payload()
        body = _counts(health, lookback_days)
    return _message(title, body, payload, requester=requester, alerts=alerts)


def render_instances_status(
    found: list[InstanceStatus],
    *,
    requester: str,
    lookback_days: int,
    alerts: Sequence[Alert] | None = None,
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
    stuck = [
        item.instance
        for item in found
        if item.health is not None and item.health.verdict == QueueVerdict.COURIER_STUCK
    ]
    if stuck:
        title = "Kratos's courier is stuck on " + ", ".join(stuck)
    elif payload["state"] == "failed":
        title = "Courier status unknown"
    else:
        title = "Kratos's courier is healthy" + ("" if all(i.health for i in found) else " where it answered")
    return _message(title, "\n".join(lines), payload, requester=requester, alerts=alerts)


def _message(
    title: str, body: str, payload: dict[str, Any], *, requester: str, alerts: Sequence[Alert] | None
) -> dict[str, Any]:
    """The status message: headline, the courier's counts, the watch's open alerts, who asked."""
    blocks = [
        HeaderBlock(text=clip(title, HEADER_TEXT_MAX)),
        SectionBlock(text=MarkdownTextObject(text=clip(body, SECTION_TEXT_MAX))),
        *(
            [SectionBlock(text=MarkdownTextObject(text=clip(alerts_text(alerts), SECTION_TEXT_MAX)))]
            if alerts is not None
            else []
        ),
        ContextBlock(elements=[MarkdownTextObject(text=f"requested by <@{escape(requester)}>")]),
    ]
    return {
        "text": f"mailcheck status: {title}",
        "blocks": [block.to_dict() for block in blocks],
        "metadata": {"event_type": EventType.STATUS.value, "event_payload": payload},
    }
