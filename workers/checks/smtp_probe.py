"""One SMTP session against the relay, driven the way Kratos's courier drives it, one timed phase at a time.

resolve → connect → [tls] → banner → ehlo → [starttls → ehlo_tls] → [auth] → mail_from → rcpt_to →
RSET and QUIT (pipelined, not awaited). DATA is never sent. A failure after the greeting still ends
with QUIT, as Kratos ends its sessions. Each phase is bounded by `phase_timeout`; the caller bounds the whole.
What Kratos (ory/mail v3 over Go's net/smtp) does and we copy: EHLO falls back to HELO; AUTH is tried
once, with CRAM-MD5 when offered, LOGIN when offered without PLAIN, else PLAIN; AUTH is skipped when the
relay does not offer it; PLAIN is never sent unencrypted to a host other than localhost; MAIL FROM
carries BODY=8BITMIME and SMTPUTF8 when the relay offers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import aiosmtplib

from workers.checks.smtp_tls import handshake_clock
from workers.smtp_uri import SmtpRelay

T = TypeVar("T")

REPLY_CAP = 500  # characters of one server reply kept as evidence
_LOCALHOST = frozenset({"localhost", "127.0.0.1", "::1"})  # Go's smtp.PlainAuth exemption


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


FLUSH_POLLS = 100  # up to ~0.1 s for the goodbye to leave our buffers


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

    def to_list(self) -> list[dict[str, Any]]:
        return [asdict(phase) for phase in self.phases]


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


# -- the session -----------------------------------------------------------------------------------


def kratos_auth_mechanism(offered: list[str]) -> str:
    """ory/mail's choice: CRAM-MD5, else LOGIN when PLAIN is not offered, else PLAIN."""
    if "cram-md5" in offered:
        return "CRAM-MD5"
    if "login" in offered and "plain" not in offered:
        return "LOGIN"
    return "PLAIN"


class Session:
    """The SMTP conversation on a connected socket; `log` is shared with the resolve and connect phases."""

    def __init__(
        self,
        relay: SmtpRelay,
        log: ProbeLog,
        *,
        sender: str,
        recipient: str,
        phase_timeout: float,
    ) -> None:
        self.relay = relay
        self.log = log
        self.sender = sender
        self.recipient = recipient
        self.timeout = phase_timeout
        self.clock: list[float] = []
        self.greeted = False
        self._smtp: aiosmtplib.SMTP | None = None
        self._sock: socket.socket | None = None

    async def run(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        """Every phase in order; raises ProbeFailure at the first one that fails. Owns `sock` from here."""
        self._sock = sock
        self._smtp = smtp = aiosmtplib.SMTP(
            sock=sock,
            hostname=self.relay.tls_server_name,
            local_hostname=self.relay.local_name,
            timeout=self.timeout,
            use_tls=self.relay.implicit_tls,
            start_tls=False,  # we decide after reading EHLO, as Kratos does
            tls_context=context,
        )
        if self.relay.implicit_tls:
            with handshake_clock() as clock:
                self.clock = clock
                await self._open_implicit(smtp)
        else:
            await step(self.log, "banner", smtp.connect(), self.timeout)
        self.greeted = True
        await step(self.log, "ehlo", self._hello(smtp), self.timeout)
        if self.relay.starttls or smtp.supports_extension("starttls"):
            await step(self.log, "starttls", self._starttls(smtp), self.timeout)
            await step(self.log, "ehlo_tls", smtp.ehlo(), self.timeout)
        await self._authenticate(smtp)
        options = _mail_options(smtp)
        await step(
            self.log, "mail_from", smtp.mail(self.sender, options=options, encoding="utf-8"), self.timeout
        )
        await step(self.log, "rcpt_to", smtp.rcpt(self.recipient, encoding="utf-8"), self.timeout)
        await self._goodbye(smtp)

    async def close(self, after: ProbeFailure | None) -> None:
        """After a failure past the greeting the relay may still listen, so say QUIT as Kratos does
        (waiting for its reply only when it was answering us); then drop the connection."""
        smtp = self._smtp
        if smtp is not None and after is not None and self.greeted and smtp.is_connected:
            if after.code is not None or after.by_rule:
                await self._quit(smtp)
            else:  # it stopped answering, or answered garbage: no reply to wait for
                await _send_unawaited(smtp, b"QUIT\r\n")
        if smtp is not None:
            smtp.close()
        if smtp is None or after is not None:
            self._release_socket()
        # A healthy relay just answered us: let the transport close gracefully, which flushes the
        # pipelined RSET/QUIT before the connection ends.

    async def _quit(self, smtp: aiosmtplib.SMTP) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            pass  # the evidence is recorded already; a failed goodbye adds nothing

    def _release_socket(self) -> None:
        if self._sock is None:
            return
        if self._smtp is None:  # never handed to a transport
            self._sock.close()
            return
        # The transport owns the socket and closes it, but a TLS transport first waits up to 30 s for
        # the relay's close_notify, which a hung relay never sends; shutting the socket down ends the wait.
        with contextlib.suppress(OSError):  # OSError: the transport has closed it already
            self._sock.shutdown(socket.SHUT_RDWR)

    async def _open_implicit(self, smtp: aiosmtplib.SMTP) -> None:
        self.log.begin("tls")
        try:
            async with asyncio.timeout(self.timeout):
                greeting = await smtp.connect()
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            if self.clock:
                self._handshake_done(self.clock[0])
            raise self.log.fail(failure_from(self.log.current or "tls", exc, self.timeout)) from exc
        self._handshake_done(self.clock[0] if self.clock else time.monotonic())
        self.log.end(True, reply_text(greeting))

    def _handshake_done(self, at: float) -> None:
        self.log.end(True, at=at)
        self.log.begin("banner", at=at)

    async def _hello(self, smtp: aiosmtplib.SMTP) -> aiosmtplib.SMTPResponse:
        try:
            return await smtp.ehlo()
        except aiosmtplib.SMTPHeloError:
            return await smtp.helo()  # Go's net/smtp falls back the same way

    async def _starttls(self, smtp: aiosmtplib.SMTP) -> aiosmtplib.SMTPResponse:
        if not smtp.supports_extension("starttls"):
            error = "the relay does not offer STARTTLS, which Kratos requires for smtp:// URIs"
            raise ProbeFailure("starttls", error=error, by_rule=True)
        return await smtp.starttls()

    async def _authenticate(self, smtp: aiosmtplib.SMTP) -> None:
        if self.relay.username is None:
            return
        if not smtp.supports_extension("auth"):
            self.log.auth = "not offered by the relay, so Kratos sends no AUTH either"
            return
        mechanism = kratos_auth_mechanism(smtp.server_auth_methods)
        self.log.auth = mechanism
        await step(self.log, "auth", self._auth(smtp, mechanism), self.timeout)

    async def _auth(self, smtp: aiosmtplib.SMTP, mechanism: str) -> aiosmtplib.SMTPResponse:
        username = self.relay.username or ""
        password = self.relay.password.get_secret_value() if self.relay.password else ""
        if mechanism == "CRAM-MD5":
            return await smtp.auth_crammd5(username, password)
        if mechanism == "LOGIN":
            return await smtp.auth_login(username, password)
        if smtp.get_transport_info("sslcontext") is None and self.relay.host not in _LOCALHOST:
            error = "unencrypted connection: Kratos will not send AUTH PLAIN without TLS"
            raise ProbeFailure("auth", error=error, by_rule=True)
        return await smtp.auth_plain(username, password)

    async def _goodbye(self, smtp: aiosmtplib.SMTP) -> None:
        """RSET and QUIT only tidy up: the relay has answered everything the probe asks. They go out
        pipelined and their replies are not awaited, so two more round trips to a slow relay do not
        lengthen every report; closing the transport flushes them first."""
        self.log.begin("rset_quit")
        if smtp.protocol is None or not smtp.is_connected:
            self.log.end(False, error="the relay closed the connection")
            return
        await _send_unawaited(smtp, b"RSET\r\nQUIT\r\n")
        self.log.end(True, "sent; replies not awaited")


async def _send_unawaited(smtp: aiosmtplib.SMTP, commands: bytes) -> None:
    """Write `commands` and give them up to ~0.1 s to leave our buffers; replies are not read."""
    if smtp.protocol is None:
        return
    smtp.protocol.write(commands)
    transport = smtp.protocol.transport
    for _ in range(FLUSH_POLLS):
        if not isinstance(transport, asyncio.WriteTransport) or not transport.get_write_buffer_size():
            break
        await asyncio.sleep(0.001)


def _mail_options(smtp: aiosmtplib.SMTP) -> list[str]:
    """Go's net/smtp adds these when offered, so the relay sees the MAIL FROM Kratos sends."""
    offered = (("8bitmime", "BODY=8BITMIME"), ("smtputf8", "SMTPUTF8"))
    return [option for extension, option in offered if smtp.supports_extension(extension)]
