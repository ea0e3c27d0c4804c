"""Driving the running bot like Slack does, and reading what it posted."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import post_signed, slash_command_body

_counter = itertools.count(1)


def unique_email(label: str) -> str:
    return f"{label}.{next(_counter)}@example.com"


def run_command(
    bot: str, slack: SlackStandIn, text: str, *, channel: str = "C0SUPPORT", user: str = "U0AGENT"
) -> tuple[httpx.Response, str]:
    hook = f"cmd-{next(_counter)}"
    body = slash_command_body(text, user=user, channel=channel, response_url=slack.hook_url(hook))
    return post_signed(bot, body), hook


def report_messages(slack: SlackStandIn, email: str, channel: str = "C0SUPPORT") -> list[dict[str, Any]]:
    return [
        m
        for m in slack.channel_messages(channel)
        if (m.get("metadata") or {}).get("event_payload", {}).get("email") == email
    ]


def wait_for_report(
    slack: SlackStandIn, email: str, state: str = "complete", timeout: float = 20.0
) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        for message in report_messages(slack, email):
            if message["metadata"]["event_payload"]["state"] == state:
                return message
        return None

    message: dict[str, Any] = slack.wait_for(finished, timeout)
    return message


def payload(message: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = message["metadata"]["event_payload"]
    return result


def blocks_text(message: dict[str, Any]) -> str:
    return str(message.get("blocks"))


def block_text(block: dict[str, Any]) -> str:
    """The mrkdwn of one section or context block, as a reader sees it."""
    text = block.get("text")
    if isinstance(text, dict):
        return str(text.get("text", ""))
    return " ".join(str(e.get("text", "")) for e in block.get("elements") or [] if isinstance(e, dict))
