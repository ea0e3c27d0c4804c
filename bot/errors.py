"""Errors a listener raises to answer the person who pressed or typed something, ephemerally."""

from __future__ import annotations

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
