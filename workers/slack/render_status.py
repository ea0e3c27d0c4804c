"""Block Kit for `/mailcheck status`: a pure function of the courier's health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from workers.report.alerts import Alert
from workers.report.courier_status import CourierHealth, QueueVerdict
from workers.slack.audit import slack_time
from workers.slack.ids import EventType
from workers.slack.render import SECTION_TEXT_MAX
from workers.slack.render_alert import TITLES
from workers.slack.text import clip, escape


def failed_status_payload() -> dict[str, Any]:
    return {
        "state": "failed",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": QueueVerdict.ERROR,
    }


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


def render_status(
    health: CourierHealth | None,
    *,
    requester: str,
    lookback_days: int,
    reason: str = "",
    alerts: Sequence[Alert] | None = None,
) -> dict[str, Any]:
    """chat.postMessage arguments; `health` None means Kratos could not be examined (`reason`);
    `alerts` (None when the watch is off) are the watch's open alerts."""
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
