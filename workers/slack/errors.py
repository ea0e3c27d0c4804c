"""Every failure of a Slack Web API call as one error family (SPEC §16): Slack's own error codes and the
transport's (timeout, connection reset, DNS failure, HTTP 5xx) alike, so that callers handle one type.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any
from urllib.error import URLError

GONE_ERRORS = ("message_not_found", "channel_not_found", "thread_not_found")
# Errors after which the same call can succeed later; any other (message deleted, channel gone) is final.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "timeout",
        "connection_reset",
        "connection_refused",
        "dns_failure",
        "tls_error",
        "http_5xx",
    }
)


class SlackError(Exception):
    """A Slack Web API call failed; carries only an error code (picklable, no token). `unanswered`: the
    call may have been applied, only its answer was lost (a timeout, a reset, an HTTP 5xx)."""

    def __init__(self, method: str, error: str, *, unanswered: bool = False) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error
        self.unanswered = unanswered

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.method, self.error, self.unanswered))

    @property
    def transient(self) -> bool:
        """Whether the same call may succeed later."""
        return self.unanswered or self.error in TRANSIENT_ERRORS


def _rebuild_error(method: str, error: str, unanswered: bool) -> SlackError:
    return SlackError(method, error, unanswered=unanswered)


def transport_error(method: str, exc: BaseException) -> SlackError:
    """A transport failure as a SlackError: whether the request can have reached Slack decides
    `unanswered` (a refused connection or an unknown host cannot have)."""
    reason = exc.reason if isinstance(exc, URLError) and isinstance(exc.reason, BaseException) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return SlackError(method, "timeout", unanswered=True)
    if isinstance(reason, ConnectionRefusedError):
        return SlackError(method, "connection_refused")
    if isinstance(reason, socket.gaierror):
        return SlackError(method, "dns_failure")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return SlackError(method, "tls_error")
    return SlackError(method, "connection_reset", unanswered=True)
