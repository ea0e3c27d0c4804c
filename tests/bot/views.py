"""Reading the views the bot sent to Slack: validated with slack_sdk's Block Kit models."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from tests.standins.slack import SlackStandIn


def valid_view(view: dict[str, Any]) -> dict[str, Any]:
    """The view as slack_sdk's Block Kit models read it: nothing unknown, nothing over Slack's limits."""
    assert View(**view).to_dict() == view
    return view


def opened_view(slack: SlackStandIn, trigger_id: str) -> dict[str, Any]:
    """The view the bot sent to views.open with this trigger_id, once Slack accepted it."""
    call = slack.wait_for(
        lambda: next(
            (c for c in slack.calls_of("views.open") if c.body.get("trigger_id") == trigger_id), None
        )
    )
    assert slack.triggers[trigger_id].outcome == "ok"  # used once, within its 3 seconds
    view: dict[str, Any] = call.body["view"]
    return valid_view(view)
