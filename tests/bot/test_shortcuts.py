"""The message shortcut, the global shortcut and their modals (SPEC §17) through the running bot (HTTP
mode): signed `message_action`, `shortcut` and `view_submission` payloads as Slack sends them, the
Slack stand-in checking views and trigger_ids as Slack does, and a real worker finishing the reports."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.bot.views import opened_view
from tests.e2e.helpers import report_messages, run_command, unique_email, wait_for_report
from tests.standins.block_actions import press
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import (
    conversation_value,
    message_action_payload,
    plain_text_value,
    post_interaction,
    shortcut_payload,
    view_submission_payload,
)
from workers.slack.ids import Action, BlockId, CallbackId, ElementId

pytestmark = pytest.mark.usefixtures("worker")

CHANNEL = "C0SUPPORT"  # in MAILCHECK_CHANNELS of the session's bot (tests/processes.py)


def customer_message(slack: SlackStandIn, text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    ts = slack.add_message(CHANNEL, text, user="U0CUSTOMER", thread_ts=thread_ts)
    message = slack.message_at(CHANNEL, ts)
    assert message is not None
    return message


def use_on(
    bot: str, slack: SlackStandIn, message: dict[str, Any], **options: Any
) -> tuple[httpx.Response, str]:
    """The agent uses "Check email delivery" on `message`; returns the answer and the trigger_id."""
    trigger_id = slack.issue_trigger()
    hook = f"shortcut-{trigger_id[-8:]}"
    payload = message_action_payload(
        message, trigger_id=trigger_id, response_url=slack.hook_url(hook), **options
    )
    response = post_interaction(bot, payload)
    assert response.status_code == 200 and response.text == ""
    return response, hook


def test_one_address_is_reported_in_the_messages_thread(bot: str, slack: SlackStandIn) -> None:
    email = unique_email("thread")
    message = customer_message(slack, f"Hi, <mailto:{email}|{email}> never got her code. Ticket #4411")
    opens = len(slack.calls_of("views.open"))

    use_on(bot, slack, message)

    report = wait_for_report(slack, email)
    assert report["thread_ts"] == message["ts"]  # in the ticket's thread, not in the channel
    assert report["metadata"]["event_type"] == "mailcheck_report"
    assert report["metadata"]["event_payload"]["email"] == email
    assert Action.RERUN.action_id in json.dumps(report["blocks"])  # the same buttons as /mailcheck's
    assert "<@U0AGENT>" in json.dumps(report["blocks"])
    assert len(report_messages(slack, email)) == 1
    assert len(slack.calls_of("views.open")) == opens  # one address: no modal


def test_a_reply_is_reported_in_its_parents_thread(bot: str, slack: SlackStandIn) -> None:
    parent = customer_message(slack, "New ticket from the web form")
    email = unique_email("reply")
    reply = customer_message(slack, f"the user is {email}", thread_ts=parent["ts"])

    use_on(bot, slack, reply)

    assert wait_for_report(slack, email)["thread_ts"] == parent["ts"]


def test_several_addresses_open_a_modal_whose_choice_is_reported_in_the_thread(
    bot: str, slack: SlackStandIn
) -> None:
    first, second = unique_email("pick-a"), unique_email("pick-b")
    message = customer_message(
        slack, f"{first} and {second.upper()} both wrote in; <mailto:{first}|{first}> again"
    )
    trigger_id = slack.issue_trigger()
    post_interaction(bot, message_action_payload(message, trigger_id=trigger_id))

    view = opened_view(slack, trigger_id)
    assert view["callback_id"] == CallbackId.CHECK_MESSAGE
    [choice] = [b for b in view["blocks"] if b.get("block_id") == BlockId.PICK]
    options = choice["element"]["options"]
    assert [o["text"]["text"] for o in options] == [first, second]  # deduplicated after normalization
    assert report_messages(slack, first) == report_messages(slack, second) == []  # nothing posted yet

    shown = slack.view(slack.opened_views(CallbackId.CHECK_MESSAGE)[-1]["id"])
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.PICK: {ElementId.PICK: {"type": "radio_buttons", "selected_option": options[1]}}
    }
    answer = post_interaction(bot, view_submission_payload(shown, values=values))

    assert answer.status_code == 200 and answer.text == ""  # the modal closes
    assert wait_for_report(slack, second)["thread_ts"] == message["ts"]
    assert report_messages(slack, first) == []


def test_a_message_with_ten_thousand_addresses_offers_ten_and_counts_the_rest(
    bot: str, slack: SlackStandIn
) -> None:
    text = " ".join(f"flood{i}@example.com" for i in range(10_000))
    trigger_id = slack.issue_trigger()
    started = time.monotonic()
    post_interaction(bot, message_action_payload(text=text, trigger_id=trigger_id))

    view = opened_view(slack, trigger_id)  # within the trigger's 3 seconds
    assert time.monotonic() - started < 3
    [choice] = [b for b in view["blocks"] if b.get("block_id") == BlockId.PICK]
    assert len(choice["element"]["options"]) == 10
    assert "9990 more are not" in json.dumps(view["blocks"])


def test_no_address_is_answered_only_to_the_agent(bot: str, slack: SlackStandIn) -> None:
    message = customer_message(slack, "<!here> <@U0BOSS> please help\u0007, the user gets nothing")
    posts, opens = len(slack.calls_of("chat.postMessage")), len(slack.calls_of("views.open"))

    _, hook = use_on(bot, slack, message)

    [answer] = slack.wait_for(lambda: slack.hooks_for(hook))
    assert answer["response_type"] == "ephemeral"
    assert "No email address in this message" in answer["text"]
    assert len(slack.calls_of("chat.postMessage")) == posts
    assert len(slack.calls_of("views.open")) == opens


def test_a_channel_outside_mailcheck_channels_is_refused_before_anything(
    bot: str, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    email = unique_email("elsewhere")
    ts = slack.add_message("C0RANDOM", f"user {email} and {unique_email('other')}", user="U0CUSTOMER")
    message = slack.message_at("C0RANDOM", ts)
    assert message is not None
    posts, opens = len(slack.calls_of("chat.postMessage")), len(slack.calls_of("views.open"))
    jobs = set(redis_server.client().scan_iter("rq:job:*"))

    _, hook = use_on(bot, slack, message, channel="C0RANDOM", channel_name="random")

    [answer] = slack.wait_for(lambda: slack.hooks_for(hook))
    assert "MAILCHECK_CHANNELS" in answer["text"] and answer["response_type"] == "ephemeral"
    assert len(slack.calls_of("chat.postMessage")) == posts
    assert len(slack.calls_of("views.open")) == opens
    assert set(redis_server.client().scan_iter("rq:job:*")) == jobs


def test_the_global_shortcut_opens_the_check_modal(bot: str, slack: SlackStandIn) -> None:
    trigger_id = slack.issue_trigger()
    response = post_interaction(bot, shortcut_payload(trigger_id=trigger_id))
    assert response.status_code == 200 and response.text == ""

    view = opened_view(slack, trigger_id)
    assert view["callback_id"] == CallbackId.CHECK_MODAL and view["title"]["text"] == "Check an email address"
    picker = next(b for b in view["blocks"] if b.get("block_id") == BlockId.CHANNEL)["element"]
    # A global shortcut has no channel: Slack fills in the one the agent is viewing (two are allowed).
    assert picker["type"] == "conversations_select" and picker["default_to_current_conversation"] is True
    assert picker["response_url_enabled"] is True
    assert "<#C0SUPPORT>, <#C0OPS>" in json.dumps(view["blocks"])


def submit_check(
    bot: str, slack: SlackStandIn, text: str | None, channel: str | None, *, hook: str = "modal-none"
) -> httpx.Response:
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.EMAIL: {ElementId.EMAIL: plain_text_value(text)},
        BlockId.CHANNEL: {ElementId.CHANNEL: conversation_value(channel)},
    }
    response_urls = (
        [
            {
                "block_id": BlockId.CHANNEL,
                "action_id": ElementId.CHANNEL,
                "channel_id": channel,
                "response_url": slack.hook_url(hook),
            }
        ]
        if channel
        else []
    )
    payload = view_submission_payload(
        callback_id=CallbackId.CHECK_MODAL, values=values, response_urls=response_urls
    )
    return post_interaction(bot, payload)


def modal_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    errors: dict[str, str] = answer["errors"]
    return errors


@pytest.mark.parametrize(
    "text",
    [
        "a@example.com b@example.com",
        "no-at-sign.example.com",
        "x" * 255 + "@example.com",
        "bad\u0007@example.com",
        "<@U0SOMEONE|someone>",
        "<!here>",
    ],
)
def test_invalid_input_is_answered_in_the_modal_in_the_commands_words(
    bot: str, slack: SlackStandIn, text: str
) -> None:
    posts = len(slack.calls_of("chat.postMessage"))
    errors = modal_errors(submit_check(bot, slack, text, CHANNEL))

    command, _ = run_command(bot, slack, text)
    said = command.json()["text"].replace("`", "")
    assert set(errors) == {BlockId.EMAIL}
    assert errors[BlockId.EMAIL].lower() in said.lower()  # the same words, without the usage
    assert len(slack.calls_of("chat.postMessage")) == posts


def test_a_channel_outside_mailcheck_channels_is_an_error_in_the_modal(bot: str, slack: SlackStandIn) -> None:
    errors = modal_errors(submit_check(bot, slack, "", "C0RANDOM"))
    assert "MAILCHECK_CHANNELS" in errors[BlockId.CHANNEL]
    assert "email address" in errors[BlockId.EMAIL]  # both fields at once


def test_a_conversation_the_bot_cannot_see_is_an_error_in_the_modal(bot: str, slack: SlackStandIn) -> None:
    slack.unknown_channels.add("C0OPS")  # a private channel mailcheck is not in: conversations.info fails
    try:
        errors = modal_errors(submit_check(bot, slack, unique_email("unseen"), "C0OPS"))
    finally:
        slack.unknown_channels.discard("C0OPS")
    assert "add mailcheck to it" in errors[BlockId.CHANNEL]


def test_a_submitted_check_is_reported_in_the_chosen_channel(bot: str, slack: SlackStandIn) -> None:
    email = unique_email("modal")
    response = submit_check(bot, slack, f" {email.upper()} ", "C0OPS", hook="modal-ok")
    assert response.status_code == 200 and response.text == ""  # the modal closes

    found = slack.wait_for(
        lambda: [
            m
            for m in slack.channel_messages("C0OPS")
            if (m.get("metadata") or {}).get("event_payload", {}).get("email") == email
            and m["metadata"]["event_payload"]["state"] == "complete"
        ],
        timeout=20,
    )
    assert not found[0].get("thread_ts")  # in the channel itself
    assert any(c.body.get("channel") == "C0OPS" for c in slack.calls_of("conversations.info"))
    assert slack.hooks_for("modal-ok") == []  # a worker runs: nothing more to tell the agent


def test_the_buttons_of_a_thread_report_write_into_the_tickets_thread(bot: str, slack: SlackStandIn) -> None:
    """The ticket's thread is its audit log: a press on the report, and its re-run, stay in it."""
    email = unique_email("audit")
    message = customer_message(slack, f"user: {email}")
    use_on(bot, slack, message)
    report = wait_for_report(slack, email)

    response, _ = press(bot, slack, report, Action.RERUN.value, user="U0AGENT")

    assert response.status_code == 200
    replies = slack.wait_for(
        lambda: [
            m
            for m in slack.channel_messages(CHANNEL)
            if (m.get("metadata") or {}).get("event_type") == "mailcheck_action"
            and m["metadata"]["event_payload"]["report_id"]
            == report["metadata"]["event_payload"]["report_id"]
        ]
    )
    assert {reply["thread_ts"] for reply in replies} == {message["ts"]}
    reruns = slack.wait_for(lambda: [m for m in report_messages(slack, email) if m["ts"] != report["ts"]])
    assert {rerun["thread_ts"] for rerun in reruns} == {message["ts"]}
