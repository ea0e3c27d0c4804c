"""`/mailcheck history EMAIL` (SPEC §4.1, §12, §16): the reports and button outcomes for one address,
newest first, each with a permalink to its message; a message deleted since is listed and marked as such.

An entry from a private channel, a DM or a group DM is shown only when history is asked in that same
conversation; elsewhere such entries are one line, counted. The 20 newest entries the asker may see
are shown whole, one block each (never a clipped text); how many more there are is said.

`recall_history` does the I/O (Redis, chat.getPermalink); the renderers are pure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from workers.clients.history import MAX_SHOWN, REPORT, HistoryEntry, recall
from workers.report.wording import verdict_headline
from workers.slack.api import SlackPoster
from workers.slack.audit import WORDS, Outcome, action_label, slack_time
from workers.slack.errors import SlackError
from workers.slack.text import escape

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


@dataclass(frozen=True)
class History:
    """What the asker may see of one address's history."""

    listed: list[Listed]  # the newest MAX_SHOWN entries the asker may see, newest first
    older: int = 0  # further entries the asker may see, not shown
    private_elsewhere: int = 0  # entries of other private conversations, never shown here


def visible(entry: HistoryEntry, asked_in: str | None) -> bool:
    """Whether an entry may be shown where history is asked (None: a terminal, no Slack audience)."""
    return asked_in is None or not entry.private or entry.channel == asked_in


def recall_history(
    connection: redis.Redis, poster: SlackPoster | None, email: str, *, days: int, asked_in: str | None
) -> History:
    """The address's entries the asker may see, with their links (raises redis.RedisError); no poster:
    no links. `asked_in`: the conversation history is asked in (None for `mailcheck history`)."""
    entries = recall(connection, email, days=days)
    shown = [entry for entry in entries if visible(entry, asked_in)]
    listed = [Listed(entry, *_link(poster, entry)) for entry in shown[:MAX_SHOWN]]
    return History(listed, older=len(shown) - len(listed), private_elsewhere=len(entries) - len(shown))


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


def render_history(email: str, history: History, *, days: int) -> dict[str, Any]:
    """The ephemeral answer: text and blocks, one block per entry, none cut."""
    head = f"*History of {escape(email)}* (last {days} days, newest first)"
    if not history.listed and not history.private_elsewhere:
        text = f"No report or button press for *{escape(email)}* in the last {days} days."
        return {"text": text, "blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]}
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=head))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=_line(item))) for item in history.listed]
    notes = []
    if history.older:
        notes.append(f"{history.older} older entr{'y' if history.older == 1 else 'ies'} not shown")
    if history.private_elsewhere:
        notes.append(f"{history.private_elsewhere} more in private conversations")
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" · ".join(notes))]))
    count = len(history.listed)
    return {
        "text": f"History of {email}: {count} entr{'y' if count == 1 else 'ies'}",
        "blocks": [block.to_dict() for block in blocks],
    }


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


def render_history_plain(email: str, history: History, *, days: int) -> str:
    """For `mailcheck history` in a terminal: no Slack markup."""
    if not history.listed:
        return f"No report or button press for {email} in the last {days} days."
    lines = [f"history of {email} (last {days} days, newest first)", *map(_plain_line, history.listed)]
    if history.older:
        lines.append(f"({history.older} older not shown)")
    return "\n".join(lines)


def history_json(history: History) -> list[dict[str, Any]]:
    """For `mailcheck history --json`."""
    rows = []
    for item in history.listed:
        row = {k: v for k, v in asdict(item.entry).items() if k != "ref"}
        row["at"] = datetime.fromtimestamp(item.entry.at, UTC).isoformat()
        row.update(permalink=item.permalink, message_deleted=item.link == DELETED)
        rows.append(row)
    return rows
