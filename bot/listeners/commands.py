"""`/mailcheck`: ack, parse, authorize, enqueue, reply once. No diagnostics happen here."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from slack_bolt import Ack, App, BoltResponse

from bot.authz import channel_allowed
from bot.deps import Deps
from bot.errors import (
    USAGE,
    ChannelNotAllowed,
    ServiceUnavailable,
    UserFacingError,
    ephemeral_response,
    error_text,
)
from bot.parse import Check, Help, History, parse_command
from bot.starting import hand_over_later, log_crash, response_url, save_report
from workers.jobs.queueing import enqueue_status
from workers.slack.api import respond_ephemeral
from workers.slack.conversations import is_private
from workers.slack.history import recall_history, render_history
from workers.slack.ids import SLASH_COMMAND

log = logging.getLogger(__name__)


class IncompleteCommand(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":x: Slack's request did not say which channel and user it came from; nothing was started."
        )


def _start_check(deps: Deps, ack: Callable[..., None], command: dict[str, Any], check: Check) -> None:
    channel, requester = command["channel_id"], command["user_id"]
    private = is_private(channel, command.get("channel_name"))
    stored = save_report(deps, check, channel=channel, requester=requester, private=private)
    ack()
    hand_over_later(deps, stored, response_url(command))


def _start_status(deps: Deps, ack: Callable[..., None], command: dict[str, Any]) -> None:
    try:
        enqueue_status(
            deps.queue,
            deps.settings,
            channel=command["channel_id"],
            requester=command["user_id"],
            response_url=response_url(command),
        )
    except redis.RedisError:
        raise ServiceUnavailable("its Redis is unreachable") from None
    ack()


def _start_history(deps: Deps, ack: Callable[..., None], command: dict[str, Any], email: str) -> None:
    ack()
    # Redis and one chat.getPermalink per entry: after the ack, answered through the response_url.
    where, url = command["channel_id"], response_url(command)
    deps.background.submit(_answer_history, deps, url, email, where).add_done_callback(log_crash)


def _answer_history(deps: Deps, response_url: str, email: str, asked_in: str) -> None:
    days = deps.settings.history_days
    try:
        history = recall_history(deps.redis, deps.poster, email, days=days, asked_in=asked_in)
    except redis.RedisError:
        answer: dict[str, Any] = {"text": str(ServiceUnavailable("its Redis is unreachable"))}
    else:
        answer = render_history(email, history, days=days)
    if response_url:
        respond_ephemeral(response_url, **answer)


def handle(deps: Deps, ack: Callable[..., Any], command: dict[str, Any]) -> None:
    """`/mailcheck`, whichever way it came: Bolt's listener (Socket Mode) or the HTTP entry's direct route."""
    started = time.perf_counter()

    def timed_ack(**kwargs: Any) -> None:
        ack(**kwargs)
        deps.metrics.ack_seconds.observe(time.perf_counter() - started)

    text = command.get("text")
    parsed = parse_command(text if isinstance(text, str) else "")
    deps.metrics.commands.labels(kind=type(parsed).__name__.lower()).inc()
    if isinstance(parsed, Help):
        timed_ack(text=USAGE)
    elif not all(isinstance(command.get(key), str) and command[key] for key in ("channel_id", "user_id")):
        raise IncompleteCommand()
    elif not channel_allowed(deps.settings, command["channel_id"]):
        raise ChannelNotAllowed()
    elif isinstance(parsed, Check):
        _start_check(deps, timed_ack, command, parsed)
    elif isinstance(parsed, History):
        _start_history(deps, timed_ack, command, parsed.email)
    else:
        _start_status(deps, timed_ack, command)


def answer(deps: Deps, command: dict[str, Any]) -> BoltResponse:
    """The HTTP answer to a signed `/mailcheck` form, without Bolt's dispatch: a slash command needs
    none of its middleware once the signature is checked, and its cost per command is most of what
    separates an ack from the floor. Bolt's own Ack builds the answer, and errors are told as the
    app's error handler tells them."""
    ack = Ack()  # type: ignore[no-untyped-call]
    try:
        handle(deps, ack, command)
    except Exception as error:
        text = error_text(error, deps.metrics)  # logs what is unexpected
        if ack.response is None:
            return ephemeral_response(text)
        # Acked already (only the post-ack hand-off comes later): the answer stands as acked.
    return ack.response or BoltResponse(status=200, body="")


def register(app: App, deps: Deps) -> None:
    @app.command(SLASH_COMMAND)
    def mailcheck(ack: Ack, command: dict[str, Any]) -> None:
        handle(deps, ack, command)
