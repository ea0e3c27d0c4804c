"""`/mailcheck`: ack, parse, authorize, enqueue, reply once. No diagnostics happen here."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import redis
from slack_bolt import Ack, App, BoltResponse

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
from workers.clients.store import StoredReport
from workers.core.logs import correlated
from workers.jobs.lifecycle import Started, save_new_report, start_report
from workers.jobs.queueing import enqueue_status
from workers.report.model import Report, new_report_id
from workers.slack.api import respond_ephemeral
from workers.slack.conversations import is_private
from workers.slack.history import recall_history, render_history
from workers.slack.ids import SLASH_COMMAND

log = logging.getLogger(__name__)

NO_WORKER_NOTICE = (
    ":warning: No `mailcheck worker` is running, so this check has not started yet. It will start "
    "when one does; if none starts within {timeout:g} s (QUEUE_TIMEOUT), the report says so and "
    "the check is dropped."
)


class IncompleteCommand(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":x: Slack's request did not say which channel and user it came from; nothing was started."
        )


def _start_check(deps: Deps, ack: Callable[..., None], command: dict[str, Any], check: Check) -> None:
    channel, requester = command["channel_id"], command["user_id"]
    private = is_private(channel, command.get("channel_name"))
    report = Report(new_report_id(), check.email)
    stored = StoredReport(report, channel, "", requester, typed=check.typed, private=private)
    try:
        # Proves Redis is reachable before we promise anything, and puts the report in the reaper's
        # ledger: from here on, a bot that dies cannot leave the report `running`.
        save_new_report(deps.redis, stored, deps.settings)
    except redis.RedisError:
        raise ServiceUnavailable("its Redis is unreachable") from None
    ack()
    # Enqueueing and posting the parent run after the ack on a small pool of their own, off the
    # request thread, so the HTTP answer goes out without waiting for Slack.
    url = _response_url(command)
    deps.background.submit(hand_over, deps, stored, url).add_done_callback(_log_crash)


def _log_crash(future: Future[None]) -> None:
    if future.exception() is not None:
        log.error("posting a report failed", exc_info=future.exception())


def hand_over(deps: Deps, stored: StoredReport, response_url: str) -> None:
    """Start the saved report (workers/jobs/lifecycle.py) and tell the agent, once, what only they need
    to know: that nothing started, that Slack would not take the report here, or that no worker runs."""
    with correlated(stored.report.report_id):
        started = start_report(deps.redis, deps.queue, deps.poster, deps.settings, stored)
    if started.outcome is Started.NOT_QUEUED:
        if not started.untracked:  # out of the ledger once Redis is back (the bot's reaper)
            deps.unqueued.put(stored.report.report_id)
        _tell(response_url, str(ServiceUnavailable("its Redis is unreachable")))
    elif started.outcome is Started.NOT_POSTED:
        _tell(response_url, f":x: could not post the report here ({started.slack_error}).")
    else:
        if started.outcome is Started.UNATTACHED:  # attached by the bot's reaper once Redis is back
            deps.unattached.put(stored)
        if not deps.workers.alive(deps.queue):
            _tell(response_url, NO_WORKER_NOTICE.format(timeout=deps.settings.queue_timeout))


def _tell(response_url: str, text: str) -> None:
    if response_url:
        respond_ephemeral(response_url, text)


def _start_status(deps: Deps, ack: Callable[..., None], command: dict[str, Any]) -> None:
    try:
        enqueue_status(
            deps.queue,
            deps.settings,
            channel=command["channel_id"],
            requester=command["user_id"],
            response_url=_response_url(command),
        )
    except redis.RedisError:
        raise ServiceUnavailable("its Redis is unreachable") from None
    ack()


def _start_history(deps: Deps, ack: Callable[..., None], command: dict[str, Any], email: str) -> None:
    ack()
    # Redis and one chat.getPermalink per entry: after the ack, answered through the response_url.
    where, url = command["channel_id"], _response_url(command)
    deps.background.submit(_answer_history, deps, url, email, where).add_done_callback(_log_crash)


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


def _response_url(command: dict[str, Any]) -> str:
    url = command.get("response_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


def handle(deps: Deps, ack: Callable[..., Any], command: dict[str, Any]) -> None:
    """`/mailcheck`, whichever way it came: Bolt's listener (Socket Mode) or the HTTP entry's direct route."""
    started = time.perf_counter()

    def timed_ack(**kwargs: Any) -> None:
        ack(**kwargs)
        deps.metrics.ack_seconds.observe(time.perf_counter() - started)

    text = command.get("text")
    parsed = parse_command(text if isinstance(text, str) else "")
    deps.metrics.commands.labels(kind=type(parsed).__name__.lower()).inc()
    allowed = deps.settings.mailcheck_channels
    if isinstance(parsed, Help):
        timed_ack(text=USAGE)
    elif not all(isinstance(command.get(key), str) and command[key] for key in ("channel_id", "user_id")):
        raise IncompleteCommand()
    elif allowed and command["channel_id"] not in allowed:
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
