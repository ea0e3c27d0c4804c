"""What kind of Slack conversation a request came from, as Slack's own payload says (SPEC §16).

Slack names a private channel `privategroup` and a DM `directmessage` in a slash command's
`channel_name` (and in interaction payloads' `channel.name`), and a group DM `mpdm-…`; DM ids start
with D, old private channels' with G. A conversation Slack does not name is treated as private: an
entry shown only where it was asked can be found again there, one shown everywhere cannot be taken back.
"""

from __future__ import annotations

PRIVATE_NAMES = frozenset({"privategroup", "directmessage"})


def is_private(channel_id: str, channel_name: str | None) -> bool:
    if channel_id.startswith(("D", "G")):
        return True
    if not channel_name:
        return True  # unknown: fail closed
    return channel_name in PRIVATE_NAMES or channel_name.startswith("mpdm-")
