"""The two shortcuts of SPEC §17: ack, parse, authorize, then start the report or open a modal.

- "Check email delivery" on a message (`mailcheck.check_message`): one address in its text starts the
  report in that message's thread; several open a modal to pick one; none is answered ephemerally.
- "Check an email address" (`mailcheck.check_modal`, global): opens the check modal.

A modal is opened with the shortcut's trigger_id, which Slack honours for 3 seconds once: views.open
goes out on threads of its own (`deps.views`) as soon as the view is built, before the ack, never
queued behind the post-ack work of other requests (which, in a burst, waits for the burst to end).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.authz import channel_allowed
from bot.deps import Deps
from bot.errors import ChannelNotAllowed, NoAddressInMessage, UserFacingError
from bot.listeners.modals import PickContext
from bot.parse import Found, find_addresses
from bot.starting import hand_over_later, log_crash, response_url, save_report, tell
from workers.slack.conversations import is_private
from workers.slack.errors import SlackError
from workers.slack.ids import CallbackId
from workers.slack.render_modal import render_check_modal, render_pick_modal

log = logging.getLogger(__name__)


class IncompleteShortcut(UserFacingError):
    def __init__(self) -> None:
        super().__init__(":x: Slack's request did not say who used the shortcut where; nothing was started.")


def text_field(data: object, *path: str) -> str:
    """`data[path[0]][path[1]]…` when it is a string, else "" (payloads are Slack's, shapes vary)."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else ""


@dataclass(frozen=True)
class MessageShortcut:
    user: str
    channel: str
    channel_name: str
    thread_ts: str  # the message's thread: its own ts, or its parent's when it is a reply
    text: str
    trigger_id: str
    response_url: str


def parse_message_shortcut(body: dict[str, Any]) -> MessageShortcut:
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    shortcut = MessageShortcut(
        user=text_field(body, "user", "id"),
        channel=text_field(body, "channel", "id"),
        channel_name=text_field(body, "channel", "name"),
        thread_ts=text_field(message, "thread_ts")
        or text_field(message, "ts")
        or text_field(body, "message_ts"),
        text=text_field(message, "text"),
        trigger_id=text_field(body, "trigger_id"),
        response_url=response_url(body),
    )
    if not (shortcut.user and shortcut.channel and shortcut.thread_ts):
        raise IncompleteShortcut()
    return shortcut


def open_view(deps: Deps, trigger_id: str, view: dict[str, Any], *, failed: Callable[[str], None]) -> None:
    """views.open at once on the view threads; `failed(error)` when Slack would not open it."""

    def run() -> None:
        try:
            deps.interactive.open_view(trigger_id, view)
        except SlackError as exc:
            log.warning("modal %s not opened: %s", view.get("callback_id"), exc.error)
            failed(exc.error)

    deps.views.submit(run).add_done_callback(log_crash)


def _pick(deps: Deps, ack: Ack, shortcut: MessageShortcut, found: Found, private: bool) -> None:
    context = PickContext(
        channel=shortcut.channel,
        thread_ts=shortcut.thread_ts,
        private=private,
        response_url=shortcut.response_url,
        checks=found.checks,
    )
    view = render_pick_modal(
        [check.email for check in found.checks], more=found.more, private_metadata=context.to_metadata()
    )

    def failed(error: str) -> None:
        tell(
            shortcut.response_url,
            f":x: could not open the list of addresses ({error}); try the shortcut again.",
        )

    open_view(deps, shortcut.trigger_id, view, failed=failed)
    ack()


def handle_message_shortcut(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    shortcut = parse_message_shortcut(body)
    if not channel_allowed(deps.settings, shortcut.channel):
        raise ChannelNotAllowed()
    found = find_addresses(shortcut.text)
    if not found.checks:
        raise NoAddressInMessage(found.more)
    private = is_private(shortcut.channel, shortcut.channel_name)
    if len(found.checks) > 1 or found.more:
        _pick(deps, ack, shortcut, found, private)
        return
    stored = save_report(
        deps,
        found.checks[0],
        channel=shortcut.channel,
        requester=shortcut.user,
        private=private,
        thread_ts=shortcut.thread_ts,
    )
    ack()
    hand_over_later(deps, stored, shortcut.response_url)


def check_modal(deps: Deps, initial_channel: str = "") -> dict[str, Any]:
    """The check modal with its default channel: `initial_channel` when mailcheck may run there, else
    the one channel it may run in, else the conversation the agent is viewing (Slack's own default)."""
    allowed = deps.settings.mailcheck_channels
    if initial_channel and not channel_allowed(deps.settings, initial_channel):
        initial_channel = ""
    if not initial_channel and len(allowed) == 1:
        initial_channel = allowed[0]
    return render_check_modal(initial_channel=initial_channel, allowed=allowed)


def handle_global_shortcut(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    trigger_id = text_field(body, "trigger_id")
    if not text_field(body, "user", "id") or not trigger_id:
        raise IncompleteShortcut()
    open_view(deps, trigger_id, check_modal(deps), failed=lambda error: None)  # nowhere else to say it
    ack()


def register(app: App, deps: Deps) -> None:
    @app.message_shortcut(CallbackId.CHECK_MESSAGE.value)
    def on_message_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        handle_message_shortcut(deps, ack, body)

    @app.global_shortcut(CallbackId.CHECK_MODAL.value)
    def on_global_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        handle_global_shortcut(deps, ack, body)
