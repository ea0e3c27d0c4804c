"""The phases of one probe session: their timed log, the failure that ends one, and how an exception
becomes evidence a support engineer can read (a TLS verdict, an errno, the relay's own reply).
Every text kept passes the log's `scrub`, so no credential reaches the report.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiosmtplib

from workers.report.details import PhaseDetails

T = TypeVar("T")

REPLY_CAP = 500  # characters of one server reply kept as evidence


@dataclass
class Phase:
    phase: str
    ms: int
    ok: bool
    reply: str | None = None
    error: str | None = None


class ProbeFailure(Exception):
    """A phase failed. `lookup_broken` marks our DNS resolver failing, which says nothing of the relay;
    `by_rule` marks a stop on one of Kratos's rules (no STARTTLS, no PLAIN in clear), the connection intact."""

    def __init__(
        self,
        phase: str,
        *,
        code: int | None = None,
        reply: str | None = None,
        error: str | None = None,
        timed_out: bool = False,
        lookup_broken: bool = False,
        by_rule: bool = False,
    ) -> None:
        super().__init__(f"{phase}: {reply or error}")
        self.phase = phase
        self.code = code
        self.reply = reply
        self.error = error
        self.timed_out = timed_out
        self.lookup_broken = lookup_broken
        self.by_rule = by_rule

    @property
    def temporary(self) -> bool:
        return self.code is not None and 400 <= self.code < 500

    @property
    def resolver_failed(self) -> bool:
        """Our resolver failed (or was too slow), which says nothing about the relay."""
        return self.lookup_broken or (self.phase == "resolve" and self.timed_out)


@dataclass
class ProbeLog:
    """The phases so far; every text passes `scrub` before it is kept."""

    scrub: Callable[[str], str]
    phases: list[Phase] = field(default_factory=list)
    current: str | None = None
    started: float = 0.0
    address: str | None = None
    auth: str | None = None

    def begin(self, name: str, at: float | None = None) -> None:
        self.current, self.started = name, time.monotonic() if at is None else at

    def end(
        self, ok: bool, reply: str | None = None, error: str | None = None, at: float | None = None
    ) -> None:
        assert self.current is not None
        ms = round(((time.monotonic() if at is None else at) - self.started) * 1000)
        reply = self.scrub(reply)[:REPLY_CAP] if reply is not None else None
        error = self.scrub(error)[:REPLY_CAP] if error is not None else None
        self.phases.append(Phase(self.current, ms, ok, reply, error))
        self.current = None

    def fail(self, failure: ProbeFailure) -> ProbeFailure:
        self.end(False, failure.reply, failure.error)
        failure.reply, failure.error = self.phases[-1].reply, self.phases[-1].error
        return failure

    def to_list(self) -> list[PhaseDetails]:
        return [
            {"phase": p.phase, "ms": p.ms, "ok": p.ok, "reply": p.reply, "error": p.error}
            for p in self.phases
        ]


async def step(log: ProbeLog, name: str, action: Awaitable[T], timeout: float) -> T:
    """Run one phase under its own timeout; record it; turn any protocol failure into ProbeFailure."""
    log.begin(name)
    try:
        async with asyncio.timeout(timeout):
            result = await action
    except ProbeFailure as failure:
        raise log.fail(failure) from None
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:  # TimeoutError is an OSError
        raise log.fail(failure_from(name, exc, timeout)) from exc
    log.end(True, reply_text(result))
    return result


def reply_text(result: object) -> str | None:
    return f"{result.code} {result.message}" if isinstance(result, aiosmtplib.SMTPResponse) else None


def failure_from(phase: str, exc: BaseException, timeout: float) -> ProbeFailure:
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code > 0:  # -1: not SMTP at all
        return ProbeFailure(phase, code=exc.code, reply=f"{exc.code} {exc.message}")
    if isinstance(exc, TimeoutError):
        return ProbeFailure(phase, error=f"no answer within {timeout:g} s", timed_out=True)
    return ProbeFailure(phase, error=describe(exc))


def describe(exc: BaseException) -> str:
    """The most telling text in an exception chain: the TLS verdict, an errno, else the message."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {item.verify_message}"
        if isinstance(item, ssl.SSLError):
            return f"TLS handshake failed: {item.reason or item}"
    for item in chain:
        if isinstance(item, aiosmtplib.SMTPServerDisconnected):
            return "the relay closed the connection"
        if isinstance(item, OSError) and item.errno is not None:
            return os.strerror(item.errno).lower()
    return str(exc) or type(exc).__name__
