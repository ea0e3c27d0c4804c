from __future__ import annotations

import pytest

from workers.report.model import Verdict
from workers.report.smtp_classify import (
    classify_error_text,
    classify_probe_failure,
    refuses_sender,
    relay_denied,
)

SMTP_AUTH_FAILED = Verdict.SMTP_AUTH_FAILED
SMTP_REJECTED = Verdict.SMTP_REJECTED
SMTP_TLS_FAILED = Verdict.SMTP_TLS_FAILED
SMTP_UNREACHABLE = Verdict.SMTP_UNREACHABLE

# The `message` of failed Kratos dispatches (reference/olympus_kratos.md §2.3) and what they mean.
KRATOS_DISPATCH_ERRORS = [
    ("dial tcp: lookup smtp.x on 10.0.0.2:53: no such host", SMTP_UNREACHABLE),
    ("dial tcp 1.2.3.4:465: i/o timeout", SMTP_UNREACHABLE),
    ("dial tcp 203.0.113.7:587: connect: connection refused", SMTP_UNREACHABLE),
    ("dial tcp smtp.x:0: connect: connection refused", SMTP_UNREACHABLE),
    ("read tcp 10.0.0.5:40112->1.2.3.4:465: read: connection reset by peer", SMTP_UNREACHABLE),
    ("EOF", SMTP_UNREACHABLE),
    ("x509: certificate signed by unknown authority", SMTP_TLS_FAILED),
    ("tls: failed to verify certificate: x509: certificate is valid for a.test, not smtp.x", SMTP_TLS_FAILED),
    ("tls: first record does not look like a TLS handshake", SMTP_TLS_FAILED),
    ("gomail: MandatoryStartTLS required, but SMTP server does not support STARTTLS", SMTP_TLS_FAILED),
    ("gomail: unencrypted connection", SMTP_TLS_FAILED),
    ("530 5.7.0 Must issue a STARTTLS command first", SMTP_TLS_FAILED),
    ("535 5.7.8 Authentication failed", SMTP_AUTH_FAILED),
    ("535 Authentication credentials invalid", SMTP_AUTH_FAILED),
    ("534 5.7.9 Application-specific password required", SMTP_AUTH_FAILED),
    ("530 5.7.0 Authentication required", SMTP_AUTH_FAILED),
    ("gomail: could not send email 1: 550 5.1.1 user unknown", SMTP_REJECTED),
    ("gomail: could not send email 1: 554 5.7.1 Relay access denied", SMTP_REJECTED),
    ("553 5.1.8 Sender address rejected: Domain not found", SMTP_REJECTED),
    ("no courier channels configured for: sms", None),
    ("Courier tried to deliver an email but courier.smtp.connection_uri is not set!", None),
    ("451 4.7.1 Greylisted, please try again later", None),
]


@pytest.mark.parametrize(("text", "expected"), KRATOS_DISPATCH_ERRORS)
def test_kratos_dispatch_errors(text: str, expected: str | None) -> None:
    assert classify_error_text(text) == expected


@pytest.mark.parametrize(
    ("phase", "text", "expected"),
    [
        ("resolve", "no such host (NXDOMAIN)", SMTP_UNREACHABLE),
        ("connect", "connection refused", SMTP_UNREACHABLE),
        ("banner", "the relay closed the connection", SMTP_UNREACHABLE),
        ("banner", "554 5.7.1 Your IP is on our block list", SMTP_REJECTED),
        # During a handshake everything is a TLS problem, even a reset.
        ("tls", "connection reset by peer", SMTP_TLS_FAILED),
        ("tls", "certificate verify failed: self-signed certificate", SMTP_TLS_FAILED),
        ("starttls", "454 4.7.0 TLS not available", SMTP_TLS_FAILED),
        ("starttls", "the relay does not offer STARTTLS", SMTP_TLS_FAILED),
        # A refused AUTH is the credentials whatever its code, unless the relay wants encryption.
        ("auth", "535 5.7.8 Authentication credentials invalid", SMTP_AUTH_FAILED),
        ("auth", "504 5.5.4 Unrecognized authentication type", SMTP_AUTH_FAILED),
        ("auth", "538 5.7.11 Encryption required for requested authentication mechanism", SMTP_TLS_FAILED),
        ("auth", "unencrypted connection: Kratos will not send AUTH PLAIN without TLS", SMTP_TLS_FAILED),
        ("mail_from", "550 5.1.0 sender rejected", SMTP_REJECTED),
        ("mail_from", "530 5.7.0 Authentication required", SMTP_AUTH_FAILED),
        ("mail_from", "553 sorry", SMTP_REJECTED),
        ("rcpt_to", "550 5.1.1 user unknown", SMTP_REJECTED),
        ("rcpt_to", "503 bad sequence", SMTP_REJECTED),
    ],
)
def test_probe_failures(phase: str, text: str, expected: str) -> None:
    assert classify_probe_failure(phase, text) == expected


@pytest.mark.parametrize("phase", ["resolve", "connect", "tls", "banner", "starttls", "auth", "rcpt_to"])
def test_a_relay_that_stops_answering_is_unreachable(phase: str) -> None:
    # Kratos reports the same hang as "i/o timeout", whatever step it reached.
    assert classify_probe_failure(phase, "no answer within 0.5 s", timed_out=True) == SMTP_UNREACHABLE


@pytest.mark.parametrize(
    "reply",
    [
        "554 5.7.1 <user@example.com>: Relay access denied",
        "550 5.7.1 <user@example.com>... Relaying denied",
        "550 relay not permitted",
        "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
        "530 5.7.0 Authentication required",
    ],
)
def test_relay_denied_replies(reply: str) -> None:
    assert relay_denied(reply)


def test_a_plain_recipient_refusal_is_not_relay_denied() -> None:
    assert not relay_denied("550 5.1.1 <user@example.com>: Recipient address rejected: User unknown")


@pytest.mark.parametrize(
    ("reply", "about_sender"),
    [
        ("553 5.7.1 <no-reply@acme.test>: Sender address rejected: not owned by user x", True),
        ("550 5.7.1 <no-reply@acme.test>: not permitted", True),
        ("550 5.1.1 <user@example.com>: Recipient address rejected: User unknown", False),
        ("554 5.7.1 <user@example.com>: Relay access denied", False),
    ],
)
def test_sender_refusals_are_told_from_recipient_refusals(reply: str, about_sender: bool) -> None:
    assert refuses_sender(reply, sender="No-Reply@acme.test", recipient="user@example.com") is about_sender
