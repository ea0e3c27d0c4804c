"""Errors a listener raises to answer the person who pressed or typed something, ephemerally."""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import BoltResponse

    from bot.metrics import BotMetrics

log = logging.getLogger(__name__)

USAGE = (
    "*Usage*\n"
    "• `/mailcheck user@example.com` — find out why that user did not get their verification or "
    "recovery email\n"
    "• `/mailcheck status` — courier health\n"
    "• `/mailcheck history user@example.com` — the reports and button presses for that address\n"
    "• `/mailcheck help` — this text"
)


class UserFacingError(Exception):
    """Its message is shown to the user as is."""


class UsageError(UserFacingError):
    def __init__(self, problem: str) -> None:
        super().__init__(f":warning: {problem}\n\n{USAGE}")


class ChannelNotAllowed(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":no_entry: `/mailcheck` is not enabled in this channel. Ask an admin to add it to MAILCHECK_CHANNELS."
        )


class ServiceUnavailable(UserFacingError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f":x: mailcheck cannot take the request right now: {what}. Nothing was started; please try again in a minute."
        )


def error_text(error: Exception, metrics: BotMetrics) -> str:
    """What the person is told: a UserFacingError as it is, anything else as an error id that the log
    (and only the log) ties to the traceback."""
    if isinstance(error, UserFacingError):
        metrics.errors.labels(error=type(error).__name__).inc()
        return str(error)
    correlation = secrets.token_hex(4)
    log.error("unexpected error [%s]", correlation, exc_info=error)
    return f":x: Something went wrong on our side (error id `{correlation}`)."


def ephemeral_response(text: str) -> BoltResponse:
    # Imported here: `mailcheck check` needs this module's errors, not Bolt (~50 ms of imports).
    from slack_bolt import BoltResponse

    body = json.dumps({"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body=body, headers={"content-type": "application/json"})
