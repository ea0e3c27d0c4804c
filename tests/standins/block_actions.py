"""Pressing a report's buttons the way Slack does: a signed `block_actions` interaction payload.

The payload is built from the message as the Slack stand-in stores it (its ts, blocks and metadata),
with the button's own `action_id`, `block_id` and `value` taken from the rendered blocks.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import block_actions_body, post_signed

_presses = itertools.count(1)


def find_button(message: dict[str, Any], action_id: str) -> dict[str, Any] | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id")}
    return None


def block_actions_payload(
    message: dict[str, Any],
    action_id: str,
    *,
    user: str,
    response_url: str,
    value: str | None = None,
    block_id: str = "mailcheck_actions",
) -> dict[str, Any]:
    """Slack's payload for a press on `message`; `value` overrides the button's own (forgery tests)."""
    button = find_button(message, action_id) or {}
    channel, ts = message["channel"], message["ts"]
    now = f"{time.time():.6f}"
    return {
        "type": "block_actions",
        "team": {"id": "T0TEST", "domain": "example"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0MAILCHECK",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"{next(_presses)}.2.abc",
        "channel": {"id": channel, "name": "support"},
        "message": {
            "type": "message",
            "ts": ts,
            "text": message.get("text"),
            "blocks": message.get("blocks"),
            "metadata": message.get("metadata"),
            **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {}),
        },
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": button.get("block_id") or block_id,
                "text": button.get("text") or {"type": "plain_text", "text": action_id},
                "value": button.get("value", "") if value is None else value,
                "type": "button",
                "action_ts": now,
            }
        ],
    }


def press(
    bot: str,
    slack: SlackStandIn,
    message: dict[str, Any],
    action: str,
    *,
    user: str,
    value: str | None = None,
) -> tuple[httpx.Response, str]:
    """Press `mailcheck.<action>` on `message` through the running bot; returns (response, hook name)."""
    hook = f"press-{next(_presses)}"
    payload = block_actions_payload(
        message, f"mailcheck.{action}", user=user, response_url=slack.hook_url(hook), value=value
    )
    return post_signed(bot, block_actions_body(payload)), hook
