"""Block Kit for the App Home tab (SPEC §17): a pure function of what one viewer may see, built with
slack_sdk's models; the I/O that gathers it is workers/slack/home.py.

One obvious button first (the check modal), then the courier watch's open alerts with links, each
Kratos instance's courier status (as of its last look), and the viewer's own last checks with links.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from workers.clients.history import CheckEntry
from workers.clients.home_store import CourierSnapshot
from workers.report.alerts import Alert
from workers.report.courier_status import CourierStatus, InstanceStatus, QueueVerdict, count_text
from workers.report.wording import verdict_headline
from workers.slack.audit import slack_time
from workers.slack.ids import BlockId, ElementId
from workers.slack.render import SECTION_TEXT_MAX
from workers.slack.render_alert import TITLES
from workers.slack.text import clip, escape

ALERTS_SHOWN = 10
BUTTON_TEXT = "Check an email address"


class CourierNote(enum.StrEnum):
    """Why the courier part shows no fresh status."""

    NONE = ""
    REFRESHING = "refreshing"  # a worker is reading it; this tab updates when it is in
    NO_WORKER = "no_worker"  # nothing can read it: no `mailcheck worker` runs


@dataclass(frozen=True)
class Linked:
    """A message and its link: `link` "" when there is none, `gone` when the message was deleted."""

    link: str = ""
    gone: bool = False

    def text(self) -> str:
        if self.link:
            return f"<{self.link}|open>"
        return "_message deleted_" if self.gone else "_no link_"


@dataclass(frozen=True)
class HomeData:
    """Everything one viewer's Home shows; nothing in it belongs to anyone else."""

    viewer: str
    history_days: int
    watch_on: bool
    alerts: list[tuple[Alert, Linked]] = field(default_factory=list)
    courier: CourierSnapshot | None = None
    courier_note: CourierNote = CourierNote.NONE
    checks: list[tuple[CheckEntry, Linked]] = field(default_factory=list)
    default_channel: str = ""  # the check modal's channel when opened from here ("": none)
    problem: str = ""  # why nothing but the button can be shown (Redis unreachable)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_MAX)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_TEXT_MAX))])


def _intro(data: HomeData) -> list[Block]:
    button = ButtonElement(
        text=BUTTON_TEXT,
        action_id=ElementId.OPEN_CHECK_MODAL,
        style="primary",
        value=data.default_channel or None,
    )
    text = (
        "*A user says they never got their verification or recovery email?* Check their address: "
        "mailcheck posts a report that says why, with the fix. On a message, use the message "
        "shortcut *Check email delivery* instead."
    )
    return [
        HeaderBlock(text="mailcheck"),
        SectionBlock(block_id=BlockId.HOME, text=MarkdownTextObject(text=text), accessory=button),
    ]


def _alert_line(alert: Alert, linked: Linked) -> str:
    title = escape(TITLES.get(alert.kind, alert.kind))
    return (
        f":rotating_light: *{title}* on `{escape(alert.instance)}` since {slack_time(alert.first_seen)}: "
        f"{alert.count}× · {alert.affected} recipient(s) · {linked.text()}"
    )


def _alerts(data: HomeData) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Open alerts")]
    if not data.watch_on:
        return [*blocks, _section("The courier watch is off: set `WATCH_CHANNEL` to have one.")]
    if not data.alerts:
        return [*blocks, _section(":white_check_mark: The courier watch has no open alert.")]
    blocks += [_section(_alert_line(alert, linked)) for alert, linked in data.alerts[:ALERTS_SHOWN]]
    if len(data.alerts) > ALERTS_SHOWN:
        blocks.append(_context(f"{len(data.alerts) - ALERTS_SHOWN} more open alert(s) in the watch channel."))
    return blocks


def _counts(health: CourierStatus) -> str:
    icon = ":x:" if health.verdict == QueueVerdict.COURIER_STUCK else ":white_check_mark:"
    state = "stuck" if health.verdict == QueueVerdict.COURIER_STUCK else "healthy"
    return (
        f"{icon} {state}: *{count_text(health.queued, 'queued', health)}* queued "
        f"(oldest {count_text(health.oldest_queued_age_s, 'queued', health)} s), "
        f"*{count_text(health.processing, 'processing', health)}* processing, "
        f"*{count_text(health.abandoned, 'abandoned', health)}* abandoned"
    )


def _instance_line(item: InstanceStatus) -> str:
    name = f"*{escape(item.instance)}*"
    if item.health is None:
        return f":grey_question: {name}: the courier could not be read: {escape(clip(item.reason))}"
    return f"{name}: {_counts(item.health)}"


def _courier(data: HomeData) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Courier")]
    snapshot = data.courier
    if snapshot is not None:
        blocks.append(_section("\n".join(_instance_line(item) for item in snapshot.instances)))
    notes = {
        CourierNote.REFRESHING: ":hourglass_flowing_sand: a worker is reading the courier; this tab "
        "updates when it is in.",
        CourierNote.NO_WORKER: ":warning: no `mailcheck worker` is running, so the courier cannot be read.",
    }
    when = f"as of {slack_time(snapshot.at)} (read at most once a minute)" if snapshot else ""
    said = " ".join(part for part in (when, notes.get(data.courier_note, "")) if part)
    if said:
        blocks.append(_context(said))
    return blocks


def _check_line(entry: CheckEntry, linked: Linked) -> str:
    if entry.state == "failed":
        said = "the check could not finish"
    elif entry.verdict:
        said = verdict_headline(entry.verdict)
    else:
        said = "no verdict"
    where = f" (Kratos `{escape(entry.instance)}`)" if entry.instance else ""
    private = " · :lock: private conversation" if entry.private else ""
    return (
        f"{slack_time(entry.at)} — *{escape(entry.email)}*: {escape(said)}{where}{private} — {linked.text()}"
    )


def _checks(data: HomeData) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Your last checks")]
    if not data.checks:
        return [*blocks, _section(f"You have not run a check in the last {data.history_days} days.")]
    blocks += [_section(_check_line(entry, linked)) for entry, linked in data.checks]
    blocks.append(_context("Only you see this tab, and only the checks you asked for."))
    return blocks


def render_home(data: HomeData) -> dict[str, Any]:
    """The Home tab view (views.publish's `view`)."""
    if data.problem:
        blocks: list[Block] = [*_intro(data), _section(data.problem)]
    else:
        blocks = [*_intro(data), *_alerts(data), *_courier(data), *_checks(data)]
    return View(type="home", blocks=blocks).to_dict()
