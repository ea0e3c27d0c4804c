"""The `smtp` check (SPEC §5 step 2, §8): probe the relay Kratos sends through, without sending mail.

Finds the relay (through `resolver`, so DNS_NAMESERVERS applies), connects, and hands the socket to
`probe.Session` for the SMTP conversation. The relay broken, hung or refusing is `fail` (a 4xx is
`warn`: temporary); our own DNS resolver failing is `error`, since it says nothing about the relay.

details: `SmtpDetails` (workers/report/details.py): the relay (`RelayDetails`), the address connected
to, mail_from, auth, the phases in order, failed_phase, classification, the decisive reply (with SPEC §15's
four keys, as our relay's answer: `workers/report/relay_replies.py`, `mailbox_provider` ""), error,
answers_tls (smtp:// to a silent port: does it complete a TLS handshake instead?), elapsed_ms, and the
setting to fix when the failure is a configuration mistake (COURIER_SMTP_CONNECTION_URI,
COURIER_SMTP_FROM_ADDRESS, DNS_NAMESERVERS), else None. `SmtpUnread` when an address cannot be carried.
Replies and errors never contain the credentials (`workers.core.scrub.credentials_scrubber`); the username is not
reported either, because some providers use an API token as the SMTP user name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from typing import cast

import dns.asyncresolver
import dns.exception
import dns.resolver

from workers.checks.smtp import summary as smtp_summary
from workers.checks.smtp.phases import ProbeFailure, ProbeLog, describe, step
from workers.checks.smtp.probe import Session
from workers.checks.smtp.summary import Probed
from workers.checks.smtp.tls import answers_tls, tls_context
from workers.core.scrub import credentials_scrubber
from workers.core.smtp_uri import SmtpRelay
from workers.report.details import ProbeDetails, RelayDetails, SmtpDetails, SmtpUnread
from workers.report.model import CheckResult, Status
from workers.report.relay_replies import relay_reply_details
from workers.report.smtp_classify import classify_probe_failure

FINDING_CODE = smtp_summary.FINDING_CODE
KRATOS_DEFAULT_FROM = "no-reply@ory.kratos.sh"  # courier.smtp.from_address when unset
_NOT_FOUND = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})

_SNIFF_MIN_S = 0.1  # with less left, the implicit-TLS sniff could not finish anyway


async def check_smtp(
    email: str,
    *,
    relay: SmtpRelay | None,
    from_address: str | None,
    resolver: dns.asyncresolver.Resolver | None,
    timeout: float,
    phase_timeout: float = 5.0,
    ca_file: str | None = None,
) -> CheckResult:
    """Probe the relay up to RCPT TO. `ca_file` adds trusted CAs to the system store (tests, private CAs)."""
    if relay is None:
        return CheckResult.skipped("COURIER_SMTP_CONNECTION_URI is not set, so there is no relay to probe.")
    sender = from_address or KRATOS_DEFAULT_FROM
    for name, address in (("The recipient", email), ("COURIER_SMTP_FROM_ADDRESS", sender)):
        if not _fits_envelope(address):
            unread: SmtpUnread = {"relay": relay_details(relay)}
            return CheckResult.error(f"{name} is not an address SMTP can carry.", **unread)
    started = time.monotonic()
    password = relay.password.get_secret_value() if relay.password else ""
    log = ProbeLog(scrub=credentials_scrubber(relay.username or "", password))
    session = Session(relay, log, sender=sender, recipient=email, phase_timeout=phase_timeout)
    failure = await _run(session, resolver, timeout=timeout, ca_file=ca_file)
    left = min(phase_timeout, started + timeout - time.monotonic())
    answers = await _implicit_tls_instead(relay, log.address, failure, left)
    details = _details(relay, log, failure, sender, started, answers_tls=answers)
    return _result(relay, failure, details, sender=sender, recipient=email)


async def _run(
    session: Session, resolver: dns.asyncresolver.Resolver | None, *, timeout: float, ca_file: str | None
) -> ProbeFailure | None:
    relay, log = session.relay, session.log
    failure: ProbeFailure | None = None
    try:
        async with asyncio.timeout(timeout):
            # Built once per process, and before the fork in a worker (preload). Built here, on the
            # loop, when it is not: a thread hop would hand the loop to the other checks' start-up
            # first, and this dialogue is the report's critical path.
            context = tls_context(relay, ca_file)
            sock = await _reach(relay, log, resolver, session.timeout)
            await session.run(sock, context)
    except ProbeFailure as exc:
        failure = exc
    except TimeoutError:
        failure = ProbeFailure(
            log.current or "connect", error=f"no answer within the probe's {timeout:g} s", timed_out=True
        )
        if log.current:
            log.fail(failure)
    finally:
        await session.close(failure)
    return failure


async def _implicit_tls_instead(
    relay: SmtpRelay, address: str | None, failure: ProbeFailure | None, left: float
) -> bool | None:
    """smtp:// met a port that sent no greeting: does it speak TLS from the first byte instead?
    Asked on a connection of its own, within what is left of the probe's time; None when not asked."""
    silent = failure is not None and failure.phase == "banner" and failure.timed_out
    if not silent or relay.implicit_tls or address is None or left < _SNIFF_MIN_S:
        return None
    return await answers_tls(address, relay.port, relay.tls_server_name, left)


# -- resolve and connect ---------------------------------------------------------------------------


async def _reach(
    relay: SmtpRelay, log: ProbeLog, resolver: dns.asyncresolver.Resolver | None, timeout: float
) -> socket.socket:
    addresses = [relay.host]
    if not _ip_literal(relay.host):
        addresses = await step(log, "resolve", resolve(relay.host, relay.port, resolver), timeout)
    return await step(log, "connect", connect(addresses, relay.port, log, timeout), timeout)


async def resolve(host: str, port: int, resolver: dns.asyncresolver.Resolver | None) -> list[str]:
    """The relay's addresses; ProbeFailure when the name does not exist or the resolver fails."""
    if resolver is not None:
        return await _resolve_dns(host, resolver)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise gai_failure(exc) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def gai_failure(exc: socket.gaierror) -> ProbeFailure:
    if exc.errno in _NOT_FOUND:
        return ProbeFailure("resolve", error=f"no such host ({exc.strerror})")
    return ProbeFailure("resolve", error=f"the system resolver failed: {exc.strerror}", lookup_broken=True)


async def _resolve_dns(host: str, resolver: dns.asyncresolver.Resolver) -> list[str]:
    try:
        for rdtype in ("A", "AAAA"):
            try:
                answer = await resolver.resolve(host, rdtype)
            except dns.resolver.NoAnswer:
                continue
            return [rdata.address for rdata in answer]
    except dns.resolver.NXDOMAIN:
        raise ProbeFailure("resolve", error="no such host (NXDOMAIN)") from None
    except dns.exception.Timeout:
        raise ProbeFailure("resolve", error="the DNS resolver timed out", lookup_broken=True) from None
    except dns.exception.DNSException as exc:
        raise ProbeFailure("resolve", error=f"the DNS resolver failed: {exc}", lookup_broken=True) from None
    raise ProbeFailure("resolve", error="no such host (no A or AAAA record)")


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def connect(addresses: list[str], port: int, log: ProbeLog, timeout: float) -> socket.socket:
    """A connected socket to the first address that answers.

    Like Go's dialer, each address gets a fair share of what is left of `timeout`, so one black-holed
    address (often the IPv6 one) cannot use up the time of the others.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = "no address to connect to"
    for left, address in zip(range(len(addresses), 0, -1), addresses, strict=True):
        share = (deadline - loop.time()) / left
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(share):
                await loop.sock_connect(sock, (address, port))
        except TimeoutError:
            sock.close()
            last = f"no answer within {share:.2g} s"
            continue
        except OSError as exc:  # refused or unreachable: try the next address
            sock.close()
            last = describe(exc)
            continue
        except BaseException:  # cancelled by the probe's deadline
            sock.close()
            raise
        log.address = address
        return sock
    raise ProbeFailure("connect", error=last)


# -- the result ------------------------------------------------------------------------------------


def _fits_envelope(address: str) -> bool:
    return "@" in address and not any(c.isspace() or c in "<>" or ord(c) < 32 for c in address)


def _details(
    relay: SmtpRelay,
    log: ProbeLog,
    failure: ProbeFailure | None,
    sender: str,
    started: float,
    *,
    answers_tls: bool | None,
) -> ProbeDetails:
    classification = None
    if failure is not None and not failure.temporary and not failure.resolver_failed:
        classification = classify_probe_failure(
            failure.phase, failure.reply or failure.error or "", timed_out=failure.timed_out
        )
    return {
        "relay": relay_details(relay),
        "address": log.address,
        "mail_from": sender,
        "auth": log.auth,
        "phases": log.to_list(),
        "failed_phase": failure.phase if failure else None,
        "classification": classification,
        "reply": failure.reply if failure else None,
        **relay_reply_details(failure.reply if failure else None),
        "error": failure.error if failure else None,
        "answers_tls": answers_tls,
        "elapsed_ms": round((time.monotonic() - started) * 1000),
    }


def relay_details(relay: SmtpRelay) -> RelayDetails:
    """`SmtpRelay.describe`, by its name in the report (core names no report shape)."""
    return cast(RelayDetails, relay.describe())


def _result(
    relay: SmtpRelay, failure: ProbeFailure | None, details: ProbeDetails, *, sender: str, recipient: str
) -> CheckResult:
    if not relay.port_in_uri:
        return smtp_summary.no_port(relay, failure, details)
    if failure is None:
        summary = smtp_summary.success(relay, _mode_text(relay, details), details["elapsed_ms"])
        ok: SmtpDetails = {**details, "setting": None}
        return CheckResult(Status.OK, summary, dict(ok))
    if failure.resolver_failed:
        summary = (
            f"Could not look up the relay {relay.host} because mailcheck's own resolver failed, which says "
            f"nothing about the relay: {failure.reply or failure.error}. Check DNS_NAMESERVERS "
            "(the system resolver is used when it is unset)."
        )
        unreachable: SmtpDetails = {**details, "setting": "DNS_NAMESERVERS"}
        return CheckResult.error(summary, **unreachable)
    probed = Probed(relay, failure, sender, recipient, details["classification"], details["answers_tls"])
    summary, setting = smtp_summary.explain(probed)
    return smtp_summary.failed(summary, {**details, "setting": setting}, temporary=failure.temporary)


def _mode_text(relay: SmtpRelay, details: ProbeDetails) -> str:
    if relay.implicit_tls:
        return "implicit TLS"
    if any(phase["phase"] == "starttls" for phase in details["phases"]):
        return "STARTTLS"
    return "no TLS"
