"""Errors a listener raises to answer the person who pressed or typed something, ephemerally."""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import BoltResponse

    from bot.metrics import BotMetrics

log = logging.getLogger(__name__)

_EMOJI_CODE = re.compile(r"^:[a-z0-9_+-]+:\s*")

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
        self.problem = problem  # without the usage: what a modal shows under the field


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


class NoAddressInMessage(UserFacingError):
    def __init__(self, more: int = 0) -> None:
        tail = f" ({more} more address-like strings were too many to look at)" if more else ""
        super().__init__(
            ":mag: No email address in this message: mailcheck looks for addresses in the message's "
            f"text (`user@example.com` or a mailto link){tail}. Nothing was started."
        )


class InModal(UserFacingError):
    """A submitted modal's answer: each text under the field of its block id (`response_action:
    errors`); the modal stays open for the agent to correct it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def modal_wording(error: UserFacingError) -> str:
    """An error as a modal shows it under a field: the words of the ephemeral answer, as plain text (no
    emoji code, no code spans) and without the usage, which the modal itself shows."""
    text = _EMOJI_CODE.sub("", error.problem if isinstance(error, UsageError) else str(error), count=1)
    text = text.replace("`", "")
    return text if text.startswith("mailcheck") else text[:1].upper() + text[1:]
