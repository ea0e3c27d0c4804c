"""TLS for the SMTP probe: the cached client contexts, the handshake clock, and the implicit-TLS sniff.

Loading the CA store takes ~25 ms, so each kind of context (verifying or not, extra CA file) is built
once per process and then shared by every probe, concurrently. A shared context is never changed
after it is built: what one probe needs of it (the moment its handshake finished) travels in a
context variable of that probe's own task, not on the context.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import ssl
import time
from collections.abc import Iterator

from workers.core.smtp_uri import SmtpRelay

_HANDSHAKES: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "smtp_probe_handshakes", default=None
)


class ClockedSSLObject(ssl.SSLObject):
    """Notes when its handshake completes, in the list of the probe whose task opened it.

    With implicit TLS aiosmtplib does the handshake and reads the greeting in one call; this split
    lets the report say which of the two stalled. asyncio runs the handshake in callbacks that carry
    a copy of the connecting task's context, so concurrent probes each see their own list.
    """

    def do_handshake(self) -> None:
        super().do_handshake()
        clock = _HANDSHAKES.get()
        if clock is not None:
            clock.append(time.monotonic())


@contextlib.contextmanager
def handshake_clock() -> Iterator[list[float]]:
    """The completion times of the TLS handshakes this task makes inside the block."""
    finished: list[float] = []
    token = _HANDSHAKES.set(finished)
    try:
        yield finished
    finally:
        _HANDSHAKES.reset(token)


def tls_context(relay: SmtpRelay, ca_file: str | None) -> ssl.SSLContext:
    """The system trust store (plus `ca_file`), verifying unless the URI says skip_ssl_verify."""
    return _context(relay.verify_certificate, ca_file)


def preload_tls_context() -> None:
    """The verifying context with the system store, before a worker forks its work-horses."""
    _context(True, None)


_BUILT: dict[tuple[bool, str | None], ssl.SSLContext] = {}


def _context(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    key = (verify, ca_file)
    if key not in _BUILT:
        _BUILT[key] = _build(verify, ca_file)  # two threads may both build it: the last one is kept
    return _BUILT[key]


def _build(verify: bool, ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.sslobject_class = ClockedSSLObject  # set before the context is shared, never after
    return context


@functools.cache
def _sniff_context() -> ssl.SSLContext:
    # Only asks "does this port speak TLS?": no trust store to load, nothing to verify.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def answers_tls(address: str, port: int, server_name: str, timeout: float) -> bool:
    """Whether address:port completes a TLS handshake, on a connection of its own, within `timeout`.

    A relay that sends no greeting to smtp:// but completes a handshake is an implicit-TLS port.
    """
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(
                address, port, ssl=_sniff_context(), server_hostname=server_name
            )
    except OSError:  # refused, reset, a TLS error (ssl.SSLError), or no handshake in time (TimeoutError)
        return False
    writer.transport.abort()  # nothing to say; do not wait for the relay's close_notify
    return True
