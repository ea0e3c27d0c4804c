"""The `smtp` check against real SMTP servers on 127.0.0.1 (aiosmtpd with STARTTLS/implicit TLS and AUTH)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import time
from pathlib import Path

import dns.asyncresolver
import pytest

from tests.standins.dns_server import DnsServer
from tests.standins.smtp_server import (
    RELAY_NAME,
    Mode,
    Pki,
    RecordingHandler,
    SilentServer,
    SmtpStandin,
    closed_port,
    make_pki,
    server_context,
)
from workers.checks.smtp.check import check_smtp, gai_failure
from workers.clients.dns import make_resolver
from workers.core.smtp_uri import SmtpRelay, parse_smtp_uri
from workers.report.model import CheckResult, Severity, Status

RECIPIENT = "user@example.com"
SENDER = "noreply@example.org"
FAST = 0.5  # phase timeout for cases that wait for a timeout

STARTTLS_PHASES = [
    "connect",
    "banner",
    "ehlo",
    "starttls",
    "ehlo_tls",
    "auth",
    "mail_from",
    "rcpt_to",
    "rset_quit",
]
IMPLICIT_PHASES = ["connect", "tls", "banner", "ehlo", "auth", "mail_from", "rcpt_to", "rset_quit"]
MODES: list[Mode] = ["starttls", "implicit"]

# The implicit-TLS and plain stand-ins require AUTH on connections aiosmtpd does not count as TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def probe(
    relay: str | SmtpRelay,
    *,
    ca_file: Path | None = None,
    resolver: dns.asyncresolver.Resolver | None = None,
    phase_timeout: float = 2.0,
    timeout: float = 5.0,
    email: str = RECIPIENT,
) -> CheckResult:
    return asyncio.run(
        check_smtp(
            email,
            relay=parse_smtp_uri(relay) if isinstance(relay, str) else relay,
            from_address=SENDER,
            resolver=resolver,
            timeout=timeout,
            phase_timeout=phase_timeout,
            ca_file=str(ca_file) if ca_file else None,
        )
    )


def phase_names(result: CheckResult) -> list[str]:
    return [phase["phase"] for phase in result.details["phases"]]


def assert_failed(
    result: CheckResult, *, phase: str, classification: str | None, quoted: bool = True
) -> None:
    """A `fail` at `phase`; with `quoted`, the summary quotes the relay's reply (or the error) as evidence."""
    assert result.status is Status.FAIL, result.summary
    assert result.details["failed_phase"] == phase
    assert result.details["classification"] == classification
    assert phase_names(result)[-1] == phase and not result.details["phases"][-1]["ok"]
    [finding] = result.findings
    assert (finding.code, finding.severity) == ("smtp_probe_failed", Severity.FAIL)
    evidence = result.details["reply"] or result.details["error"]
    assert evidence and finding.summary == result.summary
    assert evidence in result.summary or not quoted, result.summary
    assert_sentence(result)


def assert_sentence(result: CheckResult) -> None:
    """A sentence a support engineer reads: capitalised, finished, and no finding or class codes."""
    summary = result.summary
    assert summary[:1].isupper() and summary.endswith("."), summary
    assert not re.search(r"\bsmtp_[a-z_]+\b", summary), summary


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


# -- healthy relays --------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "phases"), [("starttls", STARTTLS_PHASES), ("implicit", IMPLICIT_PHASES)])
def test_healthy_relay_accepts_the_envelope_and_never_sees_data(
    pki: Pki, mode: Mode, phases: list[str]
) -> None:
    with SmtpStandin(pki, mode=mode) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
        # RSET and QUIT are not waited for, so give the relay (still running) a moment to read them.
        deadline = time.monotonic() + 5
        while "QUIT" not in relay.handler.commands and time.monotonic() < deadline:
            time.sleep(0.01)
    assert result.status is Status.OK, result.summary
    assert phase_names(result) == phases
    assert all(phase["ok"] and phase["ms"] >= 0 for phase in result.details["phases"])
    upgrade = ["STARTTLS"] if mode == "starttls" else []
    envelope = [f"MAIL FROM:<{SENDER}>", f"RCPT TO:<{RECIPIENT}>"]
    assert relay.handler.commands == [*upgrade, "AUTH PLAIN", *envelope, "RSET", "QUIT"]
    assert "DATA" not in relay.handler.commands
    assert result.details["failed_phase"] is None and result.details["classification"] is None
    assert result.details["auth"] == "PLAIN" and result.details["address"] == "127.0.0.1"
    assert result.details["relay"]["mode"] == ("implicit_tls" if mode == "implicit" else "starttls")
    assert result.findings == ()
    replies = {phase["phase"]: phase["reply"] for phase in result.details["phases"]}
    assert replies["banner"].startswith("220 ") and replies["auth"].startswith("235 ")
    assert replies["rcpt_to"] == "250 OK" and replies["rset_quit"] == "sent; replies not awaited"
    json.dumps(result.to_dict())  # the details travel as JSON


def test_starttls_really_encrypts_before_auth_and_mail(pki: Pki) -> None:
    with SmtpStandin(pki, mode="starttls") as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert result.status is Status.OK
    assert relay.handler.tls_at_mail == [True]


def test_relay_name_resolved_through_the_given_resolver(pki: Pki) -> None:
    with DnsServer({RELAY_NAME: {"A": ["127.0.0.1"]}}) as dns_server, SmtpStandin(pki) as relay:
        resolver = make_resolver([dns_server.nameserver], timeout=1.0)
        result = probe(relay.uri(host=RELAY_NAME), ca_file=pki.ca_file, resolver=resolver)
    assert result.status is Status.OK, result.summary
    assert phase_names(result)[:2] == ["resolve", "connect"]
    assert (RELAY_NAME, "A") in dns_server.queries
    assert result.details["address"] == "127.0.0.1"


def test_every_address_is_tried_in_turn(pki: Pki) -> None:
    # 127.0.0.2 is loopback too, but nothing listens there: refused, then the next address answers.
    with DnsServer({RELAY_NAME: {"A": ["127.0.0.2", "127.0.0.1"]}}) as dns_server, SmtpStandin(pki) as relay:
        resolver = make_resolver([dns_server.nameserver], timeout=1.0)
        result = probe(relay.uri(host=RELAY_NAME), ca_file=pki.ca_file, resolver=resolver)
    assert result.status is Status.OK, result.summary
    assert result.details["address"] == "127.0.0.1"


def test_system_resolver_when_no_resolver_is_given(pki: Pki) -> None:
    with SmtpStandin(pki) as relay:
        result = probe(relay.uri(host="localhost"), ca_file=pki.ca_file)
    assert result.status is Status.OK, result.summary
    assert phase_names(result)[0] == "resolve"


def test_login_when_the_relay_offers_no_plain(pki: Pki) -> None:
    with SmtpStandin(pki, auth_exclude_mechanism=["PLAIN"]) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert result.status is Status.OK, result.summary
    assert result.details["auth"] == "LOGIN" and "AUTH LOGIN" in relay.handler.commands


def test_plain_relay_without_tls(pki: Pki) -> None:
    with SmtpStandin(pki, mode="plain") as relay:
        result = probe(relay.uri())
    assert result.status is Status.OK, result.summary
    assert "starttls" not in phase_names(result)
    assert result.details["relay"]["mode"] == "plain" and "no TLS" in result.summary


def test_plain_mode_still_upgrades_when_offered_as_kratos_does(pki: Pki) -> None:
    with SmtpStandin(pki, mode="starttls") as relay:
        result = probe(relay.uri(disable_starttls="true"), ca_file=pki.ca_file)
    assert result.status is Status.OK, result.summary
    assert "starttls" in phase_names(result) and relay.handler.tls_at_mail == [True]


# -- the relay refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_bad_credentials(pki: Pki, mode: Mode) -> None:
    with SmtpStandin(pki, mode=mode) as relay:
        result = probe(relay.uri(password="wrong"), ca_file=pki.ca_file)
    assert_failed(result, phase="auth", classification="smtp_auth_failed")
    assert "535" in result.details["reply"]
    assert "username and password in COURIER_SMTP_CONNECTION_URI" in result.summary
    assert result.details["setting"] == "COURIER_SMTP_CONNECTION_URI"
    assert relay.handler.commands[-2:] == ["AUTH PLAIN", "QUIT"]  # a polite goodbye, no MAIL


def test_auth_replies_never_echo_the_credentials(pki: Pki) -> None:
    user, password = "pm-token-4f1c9e", "s3cr3t/pa:ss"
    handler = RecordingHandler(
        username=user,
        password="other",
        auth_failure_reply=f"535 5.7.8 Authentication failed for {user} {password}",
    )
    with SmtpStandin(pki, handler=handler) as relay:
        result = probe(relay.uri(user=user, password=password), ca_file=pki.ca_file)
    assert_failed(result, phase="auth", classification="smtp_auth_failed")
    text = json.dumps(result.to_dict()) + repr(result.findings)
    assert user not in text and password not in text
    assert "[redacted]" in result.details["reply"]


@pytest.mark.parametrize("mode", MODES)
def test_sender_rejected(pki: Pki, mode: Mode) -> None:
    handler = RecordingHandler(mail_reply="550 5.1.0 sender rejected")
    with SmtpStandin(pki, mode=mode, handler=handler) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert_failed(result, phase="mail_from", classification="smtp_rejected")
    assert result.details["reply"] == "550 5.1.0 sender rejected"
    assert not any(command.startswith("RCPT") for command in relay.handler.commands)


@pytest.mark.parametrize("mode", MODES)
def test_recipient_rejected(pki: Pki, mode: Mode) -> None:
    handler = RecordingHandler(rcpt_reply="550 5.1.1 user unknown")
    with SmtpStandin(pki, mode=mode, handler=handler) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert_failed(result, phase="rcpt_to", classification="smtp_rejected")
    assert result.details["reply"] == "550 5.1.1 user unknown"
    assert "DATA" not in relay.handler.commands and relay.handler.commands[-1] == "QUIT"
    # SPEC §15: the reply is explained beside its text, as our relay's answer (no mailbox provider)
    explained = {key: result.details[key] for key in ("category", "side", "mailbox_provider")}
    assert explained == {"category": "invalid_recipient", "side": "recipient", "mailbox_provider": ""}
    assert result.details["meaning"].startswith(
        "The recipient's mail server says this mailbox does not exist"
    )
    assert (
        "refused the recipient at RCPT TO (the address does not exist (the user's side)): " in result.summary
    )


def test_a_success_carries_no_explanation(pki: Pki) -> None:
    with SmtpStandin(pki) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert result.status is Status.OK and result.details["reply"] is None
    assert not {"category", "side", "mailbox_provider", "meaning"} & set(result.details)


def test_greylisting_is_a_warning(pki: Pki) -> None:
    handler = RecordingHandler(rcpt_reply="451 4.7.1 Greylisted, try again later")
    with SmtpStandin(pki, handler=handler) as relay:
        result = probe(relay.uri(), ca_file=pki.ca_file)
    assert result.status is Status.WARN, result.summary
    assert result.details["failed_phase"] == "rcpt_to" and result.details["classification"] is None
    [finding] = result.findings
    assert finding.severity is Severity.WARN and "451 4.7.1" in finding.summary
    assert (result.details["category"], result.details["side"]) == ("transient", "transient")


# -- the relay cannot be reached ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_nothing_listening(scheme: str) -> None:
    result = probe(f"{scheme}://u:p@127.0.0.1:{closed_port()}/")
    assert_failed(result, phase="connect", classification="smtp_unreachable")
    assert result.details["error"] == "connection refused"


def test_banner_never_sent() -> None:
    with SilentServer() as server:
        result = probe(f"smtp://u:p@127.0.0.1:{server.port}/", phase_timeout=FAST)
    assert_failed(result, phase="banner", classification="smtp_unreachable")
    assert result.details["error"] == "no answer within 0.5 s"


def test_implicit_tls_relay_that_never_answers_the_handshake() -> None:
    with SilentServer() as server:
        result = probe(f"smtps://u:p@127.0.0.1:{server.port}/", phase_timeout=FAST)
    assert_failed(result, phase="tls", classification="smtp_unreachable")


def test_implicit_tls_greeting_never_sent_after_the_handshake(pki: Pki) -> None:
    with SilentServer(tls=server_context(pki)) as server:
        result = probe(f"smtps://u:p@127.0.0.1:{server.port}/", ca_file=pki.ca_file, phase_timeout=FAST)
    assert_failed(result, phase="banner", classification="smtp_unreachable")
    assert phase_names(result) == ["connect", "tls", "banner"] and result.details["phases"][1]["ok"]


def test_whole_probe_is_bounded_by_timeout() -> None:
    with SilentServer() as server:
        result = probe(f"smtp://u:p@127.0.0.1:{server.port}/", phase_timeout=5.0, timeout=0.5)
    assert_failed(result, phase="banner", classification="smtp_unreachable")
    assert "0.5 s" in result.details["error"]


def test_name_that_does_not_exist(pki: Pki) -> None:
    with DnsServer({RELAY_NAME: {"A": ["127.0.0.1"]}}) as dns_server:
        resolver = make_resolver([dns_server.nameserver], timeout=1.0)
        result = probe("smtps://u:p@missing.test:465/", resolver=resolver)
    assert_failed(result, phase="resolve", classification="smtp_unreachable")
    assert result.details["error"] == "no such host (NXDOMAIN)"


def test_our_dns_resolver_failing_is_an_error_not_a_broken_relay() -> None:
    with DnsServer() as dns_server:
        dns_server.refuse.add("smtp.example.com")
        resolver = make_resolver([dns_server.nameserver], timeout=FAST)
        result = probe("smtps://u:p@smtp.example.com:465/", resolver=resolver)
    assert result.status is Status.ERROR, result.summary
    assert result.details["failed_phase"] == "resolve" and result.details["classification"] is None
    assert result.findings == () and "Could not look up the relay smtp.example.com" in result.summary
    assert "DNS_NAMESERVERS" in result.summary and result.details["setting"] == "DNS_NAMESERVERS"


def test_our_dns_resolver_timing_out_is_an_error() -> None:
    with DnsServer() as dns_server:
        dns_server.drop = True
        resolver = make_resolver([dns_server.nameserver], timeout=0.2)
        result = probe("smtps://u:p@smtp.example.com:465/", resolver=resolver, phase_timeout=FAST)
    assert result.status is Status.ERROR, result.summary
    assert result.details["failed_phase"] == "resolve" and result.details["classification"] is None


def test_system_resolver_failures_are_told_apart() -> None:
    assert not gai_failure(socket.gaierror(socket.EAI_NONAME, "Name or service not known")).lookup_broken
    assert gai_failure(
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    ).lookup_broken


# -- TLS ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "phase"), [("starttls", "starttls"), ("implicit", "tls")])
def test_untrusted_certificate(pki: Pki, mode: Mode, phase: str) -> None:
    with SmtpStandin(pki, mode=mode) as relay:
        result = probe(relay.uri())  # the test CA is not trusted
    assert_failed(result, phase=phase, classification="smtp_tls_failed")
    assert result.details["error"].startswith("certificate verify failed")
    assert not any(command.startswith("AUTH") for command in relay.handler.commands)


@pytest.mark.parametrize("mode", MODES)
def test_skip_ssl_verify_accepts_an_untrusted_certificate(pki: Pki, mode: Mode) -> None:
    with SmtpStandin(pki, mode=mode) as relay:
        result = probe(relay.uri(skip_ssl_verify="true"))
    assert result.status is Status.OK, result.summary


def test_certificate_must_match_server_name(pki: Pki) -> None:
    with SmtpStandin(pki, mode="implicit") as relay:
        wrong = probe(relay.uri(server_name="other.test"), ca_file=pki.ca_file)
        right = probe(relay.uri(server_name=RELAY_NAME), ca_file=pki.ca_file)
    assert_failed(wrong, phase="tls", classification="smtp_tls_failed")
    assert "other.test" in wrong.details["error"]
    assert right.status is Status.OK, right.summary


def test_kratos_ignores_skip_ssl_verify_on_an_opportunistic_upgrade(pki: Pki) -> None:
    with SmtpStandin(pki, mode="starttls") as relay:
        result = probe(relay.uri(disable_starttls="true", skip_ssl_verify="true"))
    assert_failed(result, phase="starttls", classification="smtp_tls_failed")


def test_starttls_required_but_not_offered(pki: Pki) -> None:
    with SmtpStandin(pki, mode="plain") as relay:
        result = probe(relay.uri(disable_starttls="false"))
    assert_failed(result, phase="starttls", classification="smtp_tls_failed", quoted=False)
    assert "STARTTLS" in result.details["error"]
    assert "does not offer STARTTLS" in result.summary and "COURIER_SMTP_CONNECTION_URI" in result.summary
    assert relay.handler.commands == ["QUIT"]  # a polite goodbye; no AUTH, no MAIL


def test_auth_plain_is_never_sent_unencrypted_to_a_remote_host(pki: Pki) -> None:
    with DnsServer({RELAY_NAME: {"A": ["127.0.0.1"]}}) as dns_server, SmtpStandin(pki, mode="plain") as relay:
        resolver = make_resolver([dns_server.nameserver], timeout=1.0)
        result = probe(relay.uri(host=RELAY_NAME), resolver=resolver)
    assert_failed(result, phase="auth", classification="smtp_tls_failed")
    assert relay.handler.commands == ["QUIT"]  # a polite goodbye; the password never left
    assert "COURIER_SMTP_CONNECTION_URI" in result.summary


# -- configuration --------------------------------------------------------------------------------


def test_no_relay_configured_is_skipped() -> None:
    result = asyncio.run(check_smtp(RECIPIENT, relay=None, from_address=SENDER, resolver=None, timeout=1.0))
    assert result.status is Status.SKIPPED
    assert result.summary == "COURIER_SMTP_CONNECTION_URI is not set, so there is no relay to probe."


def test_uri_without_port_fails_because_kratos_dials_port_zero(pki: Pki) -> None:
    with SmtpStandin(pki) as relay:
        # As parsed from "smtp://…@127.0.0.1/", but aimed at the stand-in instead of port 587.
        relay_config = dataclasses.replace(parse_smtp_uri(relay.uri()), port_in_uri=False)
        result = probe(relay_config, ca_file=pki.ca_file)
    assert result.status is Status.FAIL
    assert (
        result.details["classification"] == "smtp_unreachable" and result.details["failed_phase"] == "config"
    )
    assert "no port" in result.summary and "answered normally" in result.summary
    assert [finding.code for finding in result.findings] == ["smtp_probe_failed"]


def test_an_address_smtp_cannot_carry_is_an_error() -> None:
    result = probe("smtp://u:p@127.0.0.1:2525/", email="user@example.com>\r\nDATA")
    assert result.status is Status.ERROR
    assert result.summary == "The recipient is not an address SMTP can carry."
