"""Block Kit for the modals of SPEC §17: pure functions, built with slack_sdk's models (which check
Slack's limits when serialized), no client or network handle.

- the check modal (`mailcheck.check_modal`): an address and where to post the report;
- the pick modal (`mailcheck.check_message`): which of a message's addresses to check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from workers.slack.ids import BlockId, CallbackId, ElementId
from workers.slack.text import clip, escape

CHECK_TITLE = "Check an email address"  # Slack: a modal's title is at most 24 characters
PICK_TITLE = "Check email delivery"
SUBMIT, CLOSE = "Check", "Cancel"
# Longer than any address /mailcheck accepts, so that the parser (not the client) says what is wrong.
ADDRESS_INPUT_MAX = 500
OPTION_TEXT_MAX = 75  # Slack's limit for an option's text
CONVERSATIONS = ("public", "private")  # channels the bot can post in (the app's DM, a DM between people: no)


def _check_blocks(initial_channel: str, allowed: Sequence[str]) -> list[Block]:
    picker = ConversationSelectElement(
        action_id=ElementId.CHANNEL,
        placeholder="Choose a channel",
        # Without a default of ours, Slack fills in the conversation the agent is looking at.
        initial_conversation=initial_channel or None,
        default_to_current_conversation=None if initial_channel else True,
        # The submission then carries a response_url for the chosen channel: what only the agent
        # needs to know afterwards (no worker running, Slack refusing the post) is told there.
        response_url_enabled=True,
        filter=ConversationFilter(include=list(CONVERSATIONS), exclude_bot_users=True),
    )
    blocks: list[Block] = [
        InputBlock(
            block_id=BlockId.EMAIL,
            label="Email address",
            element=PlainTextInputElement(
                action_id=ElementId.EMAIL,
                placeholder="user@example.com",
                max_length=ADDRESS_INPUT_MAX,
                focus_on_load=True,
            ),
            hint="The address the user says did not get their verification or recovery email.",
        ),
        InputBlock(
            block_id=BlockId.CHANNEL,
            label="Post the report in",
            element=picker,
            hint="Everyone in that channel sees the report and its buttons.",
        ),
    ]
    if allowed:
        where = ", ".join(f"<#{escape(channel)}>" for channel in allowed)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"mailcheck runs in {where}.")]))
    return blocks


def render_check_modal(*, initial_channel: str = "", allowed: Sequence[str] = ()) -> dict[str, Any]:
    """The modal of the global shortcut and the Home button. `initial_channel`: the picker's default
    (else the conversation the agent is viewing); `allowed`: MAILCHECK_CHANNELS, named under the form."""
    return View(
        type="modal",
        callback_id=CallbackId.CHECK_MODAL,
        title=CHECK_TITLE,
        submit=SUBMIT,
        close=CLOSE,
        blocks=_check_blocks(initial_channel, allowed),
    ).to_dict()


def render_pick_modal(addresses: Sequence[str], *, more: int, private_metadata: str) -> dict[str, Any]:
    """The message shortcut's modal when the message names several addresses (at most 10, Slack's
    limit for radio buttons); the report goes to the message's thread, which `private_metadata` holds."""
    options = [
        Option(value=str(index), text=PlainTextObject(text=clip(address, OPTION_TEXT_MAX)))
        for index, address in enumerate(addresses)
    ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"This message names {len(addresses) + more} email addresses. "
                "Which one did the user not get their email at?"
            )
        ),
        InputBlock(
            block_id=BlockId.PICK,
            label="Address",
            element=RadioButtonsElement(action_id=ElementId.PICK, options=options),
        ),
    ]
    notes = ["The report is posted in the message's thread."]
    if more:
        notes.insert(0, f"The first {len(addresses)} are offered; {more} more are not.")
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" ".join(notes))]))
    return View(
        type="modal",
        callback_id=CallbackId.CHECK_MESSAGE,
        title=PICK_TITLE,
        submit=SUBMIT,
        close=CLOSE,
        blocks=blocks,
        private_metadata=private_metadata,
    ).to_dict()
