"""`/mailcheck history EMAIL` (SPEC §4.1, §12): the reports and button outcomes for one address, newest
first, each with a permalink to its message; a message deleted since is listed and marked as such.

`look_up` does the I/O (Redis, chat.getPermalink); `render_history` and `history_json` are pure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from workers.clients.history import MAX_SHOWN, REPORT, HistoryEntry, recall
from workers.report.wording import verdict_headline
from workers.slack.api import SlackError, SlackPoster
from workers.slack.audit import WORDS, Outcome, action_label, slack_time
from workers.slack.render import SECTION_TEXT_MAX
from workers.slack.text import clip, escape

DELETED = "deleted"  # link state: the message is gone from Slack
UNKNOWN = "unknown"  # link state: Slack could not be asked


@dataclass(frozen=True)
class Listed:
    entry: HistoryEntry
    permalink: str  # "" when there is none
    link: str  # "ok" | DELETED | UNKNOWN


def _link(poster: SlackPoster | None, entry: HistoryEntry) -> tuple[str, str]:
    if poster is None or not entry.channel or not entry.ts:
        return "", UNKNOWN
    try:
        found = poster.permalink(entry.channel, entry.ts)
    except SlackError:
        return "", UNKNOWN
    return (found, "ok") if found else ("", DELETED)


def look_up(connection: redis.Redis, poster: SlackPoster | None, email: str, *, days: int) -> list[Listed]:
    """The address's entries with their links (raises redis.RedisError); no poster: no links."""
    return [Listed(entry, *_link(poster, entry)) for entry in recall(connection, email, days=days)]


def _what(entry: HistoryEntry) -> str:
    if entry.kind == REPORT:
        if entry.state == "failed":
            said = "the check could not finish"
        else:
            said = verdict_headline(entry.verdict) if entry.verdict else "no verdict"
        where = f" (Kratos `{escape(entry.instance)}`)" if entry.instance else ""
        return f"Report: *{escape(said)}*{where}, asked by <@{escape(entry.actor)}>"
    known = {outcome.value for outcome in Outcome}
    words = WORDS[Outcome(entry.outcome)] if entry.outcome in known else entry.outcome
    return f"*{escape(action_label(entry.action))}* by <@{escape(entry.actor)}>: {escape(words)}"


def _line(item: Listed) -> str:
    if item.link == "ok":
        tail = f"<{item.permalink}|open>"
    elif item.link == DELETED:
        tail = "_message deleted_"
    else:
        tail = "_no link_"
    return f"• {slack_time(item.entry.at)} — {_what(item.entry)} — {tail}"


def render_history(email: str, listed: list[Listed], *, days: int) -> str:
    """The ephemeral answer (mrkdwn), within one section's length."""
    if not listed:
        return f"No report or button press for *{escape(email)}* in the last {days} days."
    head = f"*History of {escape(email)}* (last {days} days, newest first, at most {MAX_SHOWN})"
    return clip("\n".join([head, *(_line(item) for item in listed)]), SECTION_TEXT_MAX)


def _plain_line(item: Listed) -> str:
    entry = item.entry
    when = datetime.fromtimestamp(entry.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if entry.kind == REPORT:
        said = "check failed" if entry.state == "failed" else verdict_headline(entry.verdict)
        what = f"report: {said}" + (f" (Kratos {entry.instance})" if entry.instance else "")
        what += f", asked by {entry.actor}"
    else:
        what = f"{action_label(entry.action)} by {entry.actor}: {entry.outcome}"
    link = {"ok": item.permalink, DELETED: "(message deleted)"}.get(item.link, "(no link)")
    return f"{when}  {what}  {link}"


def render_history_plain(email: str, listed: list[Listed], *, days: int) -> str:
    """For `mailcheck history` in a terminal: no Slack markup."""
    if not listed:
        return f"No report or button press for {email} in the last {days} days."
    return "\n".join([f"history of {email} (last {days} days, newest first)", *map(_plain_line, listed)])


def history_json(listed: list[Listed]) -> list[dict[str, Any]]:
    """For `mailcheck history --json`."""
    rows = []
    for item in listed:
        row = {k: v for k, v in asdict(item.entry).items() if k != "ref"}
        row["at"] = datetime.fromtimestamp(item.entry.at, UTC).isoformat()
        row.update(permalink=item.permalink, message_deleted=item.link == DELETED)
        rows.append(row)
    return rows
