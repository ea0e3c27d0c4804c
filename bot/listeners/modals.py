"""The two modals' submissions (SPEC §17): parse, authorize, save the report, close the modal (the
ack), then hand the report over. Wrong input is answered inside the modal (`response_action: errors`,
raised as InModal) in /mailcheck's own words, and the modal stays open.

- the pick modal (`mailcheck.check_message`): the chosen address, checked in the message's thread;
- the check modal (`mailcheck.check_modal`): an address and a channel, checked in that channel.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.authz import channel_allowed
from bot.deps import Deps
from bot.errors import ChannelNotAllowed, InModal, UsageError, UserFacingError, modal_wording
from bot.parse import Check, normalize_address, parse_address_input
from bot.starting import hand_over_later, save_report
from workers.clients.store import StoredReport
from workers.slack.errors import SlackError
from workers.slack.ids import BlockId, CallbackId, ElementId

log = logging.getLogger(__name__)

PRIVATE_METADATA_MAX = 3000  # Slack's limit
CHOOSE_CHANNEL = "Choose where to post the report."
CANNOT_SEE = (
    "mailcheck cannot see that conversation. If it is a private channel, add mailcheck to it first "
    "(/invite @mailcheck), or choose another."
)


class IncompleteSubmission(UserFacingError):
    def __init__(self) -> None:
        super().__init__("Slack's request did not say who submitted this; nothing was started.")


@dataclass(frozen=True)
class PickContext:
    """Where a message's report goes and which addresses were offered: the pick modal's
    private_metadata, given back by Slack with the submission."""

    channel: str
    thread_ts: str
    private: bool
    response_url: str
    checks: tuple[Check, ...]

    def to_metadata(self) -> str:
        """JSON within Slack's 3,000 characters: the response_url, then the typed forms (SPEC §14) are
        left out when ten long addresses need the room."""
        data: dict[str, Any] = {
            "c": self.channel,
            "t": self.thread_ts,
            "p": self.private,
            "r": self.response_url,
            "a": [[check.email, check.typed] for check in self.checks],
        }
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_MAX:
            data["r"] = ""
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_MAX:
            data["a"] = [[check.email, ""] for check in self.checks]
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return text

    @classmethod
    def from_metadata(cls, text: str) -> PickContext:
        """Raises ValueError unless it is what `to_metadata` wrote."""
        data = json.loads(text)
        checks = tuple(Check(str(email), str(typed)) for email, typed in data["a"])
        return cls(str(data["c"]), str(data["t"]), bool(data["p"]), str(data["r"]), checks)


def _state(view: dict[str, Any], block: str, element: str) -> dict[str, Any]:
    """`view.state.values[block][element]`, or {} when Slack's payload has no such part."""
    found: object = view
    for key in ("state", "values", block, element):
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def _submitter(body: dict[str, Any]) -> str:
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise IncompleteSubmission()
    return user_id


def _picked(view: dict[str, Any], context: PickContext) -> Check:
    option = _state(view, BlockId.PICK, ElementId.PICK).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    if not (isinstance(value, str) and value.isdigit() and int(value) < len(context.checks)):
        raise InModal({BlockId.PICK.value: "Choose one of the addresses."})
    check = context.checks[int(value)]
    try:  # as /mailcheck would take it, whatever came back from Slack
        if normalize_address(check.email) != check.email:
            raise UsageError("that is not a valid email address.")
    except UsageError as exc:
        raise InModal({BlockId.PICK.value: modal_wording(exc)}) from None
    return check


def handle_pick(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    user = _submitter(body)
    try:
        context = PickContext.from_metadata(str(view.get("private_metadata") or ""))
    except (ValueError, KeyError, TypeError):
        raise InModal({BlockId.PICK.value: "This form is out of date: use the shortcut again."}) from None
    check = _picked(view, context)
    if not channel_allowed(deps.settings, context.channel):
        raise InModal({BlockId.PICK.value: modal_wording(ChannelNotAllowed())})
    stored = _save(deps, check, BlockId.PICK, context.channel, user, context.private, context.thread_ts)
    ack()
    hand_over_later(deps, stored, context.response_url)


def _save(
    deps: Deps, check: Check, block: str, channel: str, user: str, private: bool, thread_ts: str = ""
) -> StoredReport:
    try:
        return save_report(deps, check, channel=channel, requester=user, private=private, thread_ts=thread_ts)
    except UserFacingError as exc:  # Redis unreachable
        raise InModal({block: modal_wording(exc)}) from None


def _conversation_private(deps: Deps, channel: str) -> bool:
    """As Slack says of the chosen conversation (conversations.info), for the history's privacy rule
    (SPEC §16); when Slack cannot say, private (fail closed). A conversation the bot cannot see at all
    (a private channel it is not in) is answered in the modal: the report could not be posted there."""
    try:
        return deps.interactive.conversation_private(channel)
    except SlackError as exc:
        if exc.error == "channel_not_found":
            raise InModal({BlockId.CHANNEL.value: CANNOT_SEE}) from None
        log.warning("conversations.info of %s: %s; taken as private", channel, exc.error)
        return True


def _checked_input(deps: Deps, view: dict[str, Any]) -> tuple[Check, str]:
    """The address and the channel, or InModal with what is wrong with each."""
    errors: dict[str, str] = {}
    check: Check | None = None
    try:
        check = parse_address_input(str(_state(view, BlockId.EMAIL, ElementId.EMAIL).get("value") or ""))
    except UsageError as exc:
        errors[BlockId.EMAIL.value] = modal_wording(exc)
    channel = _state(view, BlockId.CHANNEL, ElementId.CHANNEL).get("selected_conversation")
    if not isinstance(channel, str) or not channel:
        errors[BlockId.CHANNEL.value] = CHOOSE_CHANNEL
    elif not channel_allowed(deps.settings, channel):
        errors[BlockId.CHANNEL.value] = modal_wording(ChannelNotAllowed())
    if errors or check is None or not isinstance(channel, str):
        raise InModal(errors)
    return check, channel


def _channel_response_url(body: dict[str, Any]) -> str:
    """The response_url Slack made for the picked channel (`response_url_enabled`)."""
    for item in body.get("response_urls") or []:
        if isinstance(item, dict) and item.get("block_id") == BlockId.CHANNEL.value:
            url = item.get("response_url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return url
    return ""


def handle_check_modal(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    user = _submitter(body)
    check, channel = _checked_input(deps, view)
    private = _conversation_private(deps, channel)
    stored = _save(deps, check, BlockId.EMAIL, channel, user, private)
    ack()
    hand_over_later(deps, stored, _channel_response_url(body))


def register(app: App, deps: Deps) -> None:
    @app.view_submission(CallbackId.CHECK_MESSAGE.value)
    def on_pick(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        handle_pick(deps, ack, body, view)

    @app.view_submission(CallbackId.CHECK_MODAL.value)
    def on_check_modal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        handle_check_modal(deps, ack, body, view)
