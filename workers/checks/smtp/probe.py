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
import socket
import ssl
import time

import aiosmtplib

from workers.checks.smtp.phases import ProbeFailure, ProbeLog, failure_from, reply_text, step
from workers.checks.smtp.tls import handshake_clock
from workers.core.smtp_uri import SmtpRelay

_LOCALHOST = frozenset({"localhost", "127.0.0.1", "::1"})  # Go's smtp.PlainAuth exemption


FLUSH_POLLS = 100  # up to ~0.1 s for the goodbye to leave our buffers


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
