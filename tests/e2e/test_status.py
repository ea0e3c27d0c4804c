"""`/mailcheck status` end to end: the worker examines the courier queue and posts its health."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import run_command
from tests.standins.kratos import KratosStandIn
from tests.standins.slack import SlackStandIn

pytestmark = pytest.mark.usefixtures("worker")

CHANNEL = "C0OPS"


def _status_messages(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.channel_messages(CHANNEL)
        if (m.get("metadata") or {}).get("event_type") == "mailcheck_status"
    ]


def _status(bot: str, slack: SlackStandIn) -> dict[str, Any]:
    before = len(_status_messages(slack))
    response, _hook = run_command(bot, slack, "status", channel=CHANNEL, user="U0SRE")
    assert response.status_code == 200 and response.text == ""
    messages = slack.wait_for(lambda: _status_messages(slack)[before:])
    assert len(messages) == 1
    assert "<@U0SRE>" in str(messages[0]["blocks"])
    payload: dict[str, Any] = messages[0]["metadata"]["event_payload"]
    return payload


def test_healthy_courier(bot: str, slack: SlackStandIn, kratos: KratosStandIn) -> None:
    kratos.reset()
    kratos.add_message("a@example.com", status="sent", age_s=600)
    kratos.add_message("b@example.com", status="queued", age_s=20)
    kratos.add_message(
        "c@example.com", status="abandoned", age_s=3600, dispatches=[("failed", "535 auth")] * 6
    )
    kratos.add_message("d@example.com", status="queued", age_s=900, dispatches=[("failed", "i/o timeout")])
    payload = _status(bot, slack)
    assert payload == {
        "state": "complete",
        "queued": 2,
        "processing": 0,
        "abandoned": 1,
        "oldest_queued_age_s": payload["oldest_queued_age_s"],
        "verdict": "ok",
    }
    assert 900 <= payload["oldest_queued_age_s"] < 1000


@pytest.mark.parametrize("status", ["queued", "processing"])
def test_stuck_courier(bot: str, slack: SlackStandIn, kratos: KratosStandIn, status: str) -> None:
    kratos.reset()
    kratos.add_message("e@example.com", status=status, age_s=700)
    kratos.add_message("f@example.com", status="queued", age_s=10)
    payload = _status(bot, slack)
    assert payload["verdict"] == "courier_stuck"
    assert payload[status] == (2 if status == "queued" else 1)
    assert payload["oldest_queued_age_s"] >= (700 if status == "queued" else 10)


def test_empty_queue(bot: str, slack: SlackStandIn, kratos: KratosStandIn) -> None:
    kratos.reset()
    payload = _status(bot, slack)
    assert payload == {
        "state": "complete",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": "ok",
    }


def test_kratos_unreachable_gives_a_failed_status(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.reset()
    kratos.fail_with = 502
    try:
        payload = _status(bot, slack)
    finally:
        kratos.fail_with = None
    assert payload == {
        "state": "failed",
        "queued": 0,
        "processing": 0,
        "abandoned": 0,
        "oldest_queued_age_s": 0,
        "verdict": "error",
    }


def test_slack_refusing_the_status_post_is_told_to_the_agent(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.reset()
    before = len(_status_messages(slack))
    slack.fail("chat.postMessage", times=1, error="channel_not_found")
    try:
        response, hook = run_command(bot, slack, "status", channel=CHANNEL, user="U0SRE")
        assert response.status_code == 200 and response.text == ""
        [answer] = slack.wait_for(lambda: slack.hooks_for(hook))
    finally:
        slack.fail("chat.postMessage", times=0)
    assert answer["response_type"] == "ephemeral"
    assert "could not post the courier status" in answer["text"] and "channel_not_found" in answer["text"]
    assert len(_status_messages(slack)) == before
