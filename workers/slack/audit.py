"""The report's thread as the audit log (SPEC §4.3).

Every press gets one reply (accepted, denied, duplicate or rate_limited) and every accepted press one
outcome reply (ok, failed or timed_out), each with `mailcheck_action` metadata whose values are all
strings. The report the button was on shows the last action and who did it. Details are scrubbed
here, whoever wrote them: this is the last stop before Slack.
"""

from __future__ import annotations

import enum
import json
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import redis
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from workers.clients.history import HistoryEntry, remember_press
from workers.clients.keyspace import LAST_ACTION_PREFIX, REPORT_TTL_S
from workers.clients.store import StoredReport
from workers.core.scrub import scrub, settings_secrets
from workers.core.settings import Settings, operators_configured
from workers.slack.api import SlackPoster
from workers.slack.errors import SlackError
from workers.slack.ids import EventType
from workers.slack.render import BUTTONS, SECTION_TEXT_MAX, render_report
from workers.slack.text import clip, escape

log = logging.getLogger(__name__)

DETAIL_MAX = 1200  # metadata and text stay far below Slack's limits


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    OK = "ok"
    FAILED = "failed"
    DENIED = "denied"
    RATE_LIMITED = "rate_limited"
    DUPLICATE = "duplicate"
    TIMED_OUT = "timed_out"


ICONS = {
    Outcome.ACCEPTED: ":hourglass_flowing_sand:",
    Outcome.OK: ":white_check_mark:",
    Outcome.FAILED: ":x:",
    Outcome.DENIED: ":no_entry:",
    Outcome.RATE_LIMITED: ":no_entry_sign:",
    Outcome.DUPLICATE: ":repeat:",
    Outcome.TIMED_OUT: ":alarm_clock:",
}
WORDS = {
    Outcome.ACCEPTED: "accepted, working on it",
    Outcome.OK: "done",
    Outcome.FAILED: "failed",
    Outcome.DENIED: "refused",
    Outcome.RATE_LIMITED: "refused: too many sends to this address",
    Outcome.DUPLICATE: "ignored: already done",
    Outcome.TIMED_OUT: "no outcome in time",
}
PRESS_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.DENIED, Outcome.DUPLICATE, Outcome.RATE_LIMITED})
# What stays in the thread but is no history entry (SPEC §16): nothing was done, and anyone could
# otherwise push real reports out of the history by pressing a refused button.
REFUSED = frozenset({Outcome.DENIED, Outcome.DUPLICATE, Outcome.RATE_LIMITED})


@dataclass(frozen=True)
class ActionEntry:
    report_id: str
    action: str  # without the `mailcheck.` prefix
    actor: str  # the Slack user ID of who pressed
    outcome: Outcome
    detail: str = ""
    output: str = ""  # a command's scrubbed last lines (flush), shown as a code block
    at: float = field(default_factory=time.time)

    def payload(self) -> dict[str, str]:
        detail = f"{self.detail}\n{self.output}" if self.output else self.detail
        return {
            "report_id": self.report_id,
            "action": self.action,
            "actor": self.actor,
            "outcome": self.outcome.value,
            "detail": clip(detail, DETAIL_MAX),
        }

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "outcome": self.outcome.value})

    @classmethod
    def from_json(cls, raw: str | bytes) -> ActionEntry:
        data = json.loads(raw)
        return cls(**{**data, "outcome": Outcome(data["outcome"])})


def action_label(action: str) -> str:
    return BUTTONS[action][0] if action in BUTTONS else action


def slack_time(at: float) -> str:
    """Shown in each reader's own time zone; the fallback is UTC."""
    fallback = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"<!date^{int(at)}^{{date_short_pretty}} at {{time_secs}}|{fallback}>"


def render_action_reply(entry: ActionEntry) -> dict[str, Any]:
    """The keyword arguments for the thread reply (chat.postMessage)."""
    label, actor = action_label(entry.action), escape(entry.actor)
    verb = "pressed" if entry.outcome in PRESS_OUTCOMES else "by"
    text = f"{ICONS[entry.outcome]} *{escape(label)}* {verb} <@{actor}> {slack_time(entry.at)}: *{WORDS[entry.outcome]}*"
    if entry.detail:
        text += f"\n{escape(clip(entry.detail, DETAIL_MAX))}"
    if entry.output:
        text += f"\n```{escape(entry.output)}```"
    fallback = f"mailcheck: {label} by {entry.actor}: {entry.outcome.value}"
    return {
        "text": fallback,
        "blocks": [SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_MAX))).to_dict()],
        "metadata": {"event_type": EventType.ACTION.value, "event_payload": entry.payload()},
    }


def last_action_line(entry: ActionEntry) -> str:
    return (
        f"last action: *{escape(action_label(entry.action))}* by <@{escape(entry.actor)}> "
        f"{slack_time(entry.at)} — {entry.outcome.value}"
    )


class AuditLog:
    """Writes the thread replies and keeps the report's last-action line current."""

    def __init__(self, poster: SlackPoster, connection: redis.Redis, settings: Settings) -> None:
        self._poster, self._redis, self._settings = poster, connection, settings
        self._secrets = settings_secrets(settings)

    def record(self, stored: StoredReport, entry: ActionEntry, *, reply: bool = True) -> None:
        """Post the reply in the report's thread (raises SlackError), then update the report."""
        entry = replace(
            entry, detail=scrub(entry.detail, self._secrets), output=scrub(entry.output, self._secrets)
        )
        reply_ts = ""
        if reply:
            reply_ts = self._poster.post(
                stored.channel, thread_ts=stored.thread_ts or stored.ts, **render_action_reply(entry)
            )
        self._remember(entry)
        if entry.outcome is not Outcome.ACCEPTED and entry.outcome not in REFUSED:
            self._history(stored, entry, reply_ts)  # an outcome of something that was done
        self._refresh_report(stored, entry)

    def reply_in(self, channel: str, thread_ts: str, entry: ActionEntry) -> None:
        """A press on an alert (SPEC §11): the reply in the alert's thread (raises SlackError)."""
        entry = replace(
            entry, detail=scrub(entry.detail, self._secrets), output=scrub(entry.output, self._secrets)
        )
        self._poster.post(channel, thread_ts=thread_ts, **render_action_reply(entry))
        self._remember(entry)

    def _history(self, stored: StoredReport, entry: ActionEntry, reply_ts: str) -> None:
        press = HistoryEntry(
            "action",
            entry.report_id,
            "",
            "",
            entry.actor,
            at=entry.at,
            action=entry.action,
            outcome=entry.outcome,
        )
        remember_press(self._redis, stored, press, reply_ts=reply_ts, days=self._settings.history_days)

    def last(self, report_id: str) -> ActionEntry | None:
        raw = self._redis.get(LAST_ACTION_PREFIX + report_id)
        return ActionEntry.from_json(raw) if isinstance(raw, (str, bytes)) else None

    def _remember(self, entry: ActionEntry) -> None:
        try:
            self._redis.set(LAST_ACTION_PREFIX + entry.report_id, entry.to_json(), ex=REPORT_TTL_S)
        except redis.RedisError as exc:  # the thread already has the reply; the line is a convenience
            log.warning("last action of report %s not kept: %s", entry.report_id, type(exc).__name__)

    def _refresh_report(self, stored: StoredReport, entry: ActionEntry) -> None:
        rendered = render_report(
            stored.report,
            requester=stored.requester,
            extra_context=last_action_line(entry),
            operators_configured=operators_configured(self._settings),
        )
        try:
            self._poster.update(stored.channel, stored.ts, **rendered)
        except SlackError as exc:
            log.warning("report %s not updated with its last action: %s", entry.report_id, exc.error)
