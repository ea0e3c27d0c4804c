"""Hypothesis strategies for what people, and forgers, send to the bot."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Pieces of what people paste into Slack, and of how Slack rewrites it, to be glued together at random.
SLACK_PIECES = [
    "<mailto:",
    "|",
    ">",
    "<",
    "<@U0SOMEONE>",
    "<@U0SOMEONE|ann>",
    "<!here>",
    "<!channel>",
    "<#C0GENERAL|general>",
    "&lt;",
    "&gt;",
    "&amp;",
    "&amp;lt;",
    "@",
    "@@",
    ".",
    "..",
    "example.com",
    "xn--bcher-kva.example",
    "bücher.example",
    "localhost",
    "user",
    "Ann.Lee+tag",
    "İ",  # lower-cases to two code points
    "ß",
    "K",  # Kelvin sign: lower-cases to ASCII k
    " ",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\ufeff",
    '"',
    "\\",
    "mailto:",
    "help",
    "HELP",
    "status",
    "payload",  # Bolt's own parser took any form body containing this word for an interaction
    "ssl_check=1",
]

slack_text = st.lists(st.one_of(st.sampled_from(SLACK_PIECES), st.text(max_size=4)), max_size=12).map("".join)
"""Anything typed after `/mailcheck`: random unicode, Slack markup and escapes, very long strings."""
any_text = st.one_of(
    st.text(),
    slack_text,
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=3000),
    st.builds(
        lambda n, tail: "a" * n + tail,
        st.integers(230, 800),
        st.sampled_from(["@example.com", "@İ.example"]),
    ),
)

ascii_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
"""Plain addresses that email_validator accepts, built rather than filtered so that none are wasted."""
plain_addresses = st.builds(
    lambda local, host, tld, sep: f"{local}{sep}{local[::-1]}@{host}.{tld}",
    ascii_words,
    ascii_words,
    st.sampled_from(["com", "org", "co.uk", "example"]),
    st.sampled_from([".", "+", "_", "-", "&"]),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
"""Several KB at most, cheaply: a short random piece repeated."""
long_text = st.builds(
    lambda piece, times: piece * times, st.text(min_size=1, max_size=8), st.integers(1, 900)
)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


_TYPES = [
    "block_actions",
    "event_callback",
    "url_verification",
    "view_submission",
    "view_closed",
    "interactive_message",
    "shortcut",
    "message_action",
    "dialog_submission",
    "workflow_step_edit",
    "block_suggestion",
]
_KEYS = [
    "team", "user", "enterprise", "authorizations", "event", "channel", "container", "actions", "command",
    "text", "callback_id", "token", "view", "response_urls", "response_url", "is_enterprise_install",
    "team_id", "user_id", "channel_id", "enterprise_id", "challenge", "function_data", "message",
    "trigger_id", "workflow_step",
]  # fmt: skip
"""JSON objects with the keys Bolt looks at when it routes a request, holding anything at all."""
slack_shaped_objects = st.builds(
    lambda kind, rest: ({"type": kind} if kind else {}) | rest,
    st.one_of(st.none(), st.sampled_from(_TYPES)),
    st.dictionaries(st.sampled_from(_KEYS), json_values | st.text(max_size=8), max_size=6),
)
