"""Text as Slack gets it: mrkdwn escaping and clipping to a length, one spelling for every message."""

from __future__ import annotations

LINE_MAX = 300  # one line of remote text (a check's summary, a finding, an evidence line)


def escape(text: str) -> str:
    """mrkdwn escaping: exactly &, < and >, in that order."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = LINE_MAX) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
