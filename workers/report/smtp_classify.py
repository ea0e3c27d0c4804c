"""One table that turns an SMTP failure into a verdict class (SPEC §6.1 rule 6).

Used for the error text Kratos records on failed courier dispatches and for the live probe's
failures. The first matching row wins; order matters (a TLS handshake timeout is a TLS problem).
"""

from __future__ import annotations

import re

from workers.report.model import Verdict

# The classes a relay's refusal can have; anything else the courier reports is `courier_failing`.
SMTP_CLASSES = (
    Verdict.SMTP_AUTH_FAILED,
    Verdict.SMTP_UNREACHABLE,
    Verdict.SMTP_TLS_FAILED,
    Verdict.SMTP_REJECTED,
)

_TABLE: tuple[tuple[re.Pattern[str], Verdict], ...] = (
    # A relay that demands encryption first (530 5.7.0 Must issue a STARTTLS command first, Go's
    # "unencrypted connection") needs TLS fixed, not the credentials, whatever the reply code says.
    (
        re.compile(
            r"must issue a starttls|starttls command first|encryption required|unencrypted connection|"
            r"tls required",
            re.I,
        ),
        Verdict.SMTP_TLS_FAILED,
    ),
    (
        re.compile(
            r"\b(530|534|535)\b|\b5\.7\.(0|8|9)\b.*auth|authentication (failed|unsuccessful|required)|"
            r"unauthenticated|auth(entication)? credentials invalid|username and password not accepted",
            re.I,
        ),
        Verdict.SMTP_AUTH_FAILED,
    ),
    (
        re.compile(r"x509|certificate|tls:|\btls\b.*(handshake|alert|failed)|ssl|handshake|starttls", re.I),
        Verdict.SMTP_TLS_FAILED,
    ),
    (
        re.compile(
            r"no such host|dial tcp|i/o timeout|connection refused|connection reset|network is unreachable|"
            r"no route to host|timed out|timeout|deadline exceeded|name or service not known|"
            r"nodename nor servname|temporary failure in name resolution|\bEOF\b|nxdomain",
            re.I,
        ),
        Verdict.SMTP_UNREACHABLE,
    ),
    (re.compile(r"(^|\D)5\d\d[ -]|\b5\.\d{1,3}\.\d{1,3}\b", re.I), Verdict.SMTP_REJECTED),
)


def classify_error_text(text: str) -> Verdict | None:
    """The SMTP class for an error text, or None when nothing in it is recognizable."""
    for pattern, verdict in _TABLE:
        if pattern.search(text):
            return verdict
    return None


# Where the live probe failed decides what the text alone cannot: any failure during the TLS
# handshake is a TLS problem, and a refused AUTH is the credentials (or the mechanism) even when the
# reply is a bare 5xx. Elsewhere the table decides, then the step.
_PROBE_PHASE_CLASS: dict[str, Verdict] = {
    "resolve": Verdict.SMTP_UNREACHABLE,
    "connect": Verdict.SMTP_UNREACHABLE,
    "tls": Verdict.SMTP_TLS_FAILED,
    "banner": Verdict.SMTP_UNREACHABLE,
    "ehlo": Verdict.SMTP_UNREACHABLE,
    "starttls": Verdict.SMTP_TLS_FAILED,
    "ehlo_tls": Verdict.SMTP_UNREACHABLE,
    "auth": Verdict.SMTP_AUTH_FAILED,
    "mail_from": Verdict.SMTP_REJECTED,
    "rcpt_to": Verdict.SMTP_REJECTED,
}
_PHASE_DECIDES = frozenset({"tls", "starttls"})


def classify_probe_failure(phase: str, text: str, *, timed_out: bool = False) -> Verdict | None:
    """The SMTP class for a failed step of the live probe (`workers/checks/smtp/probe.py` phases)."""
    if timed_out:
        # A relay that stops answering, at any step, is what Kratos reports as "i/o timeout".
        return Verdict.SMTP_UNREACHABLE
    if phase in _PHASE_DECIDES:
        return _PROBE_PHASE_CLASS[phase]
    by_text = classify_error_text(text)
    if phase == "auth" and by_text != Verdict.SMTP_TLS_FAILED:
        return Verdict.SMTP_AUTH_FAILED
    return by_text or _PROBE_PHASE_CLASS.get(phase)


# Relays refusing to pass mail on for a client that has not logged in: Postfix "Relay access denied",
# Sendmail "Relaying denied", Exim "relay not permitted", Exchange "Unable to relay".
_RELAY_DENIED = re.compile(
    r"relay(ing)? (access )?(denied|not permitted|not allowed|prohibited)|unable to relay|"
    r"not permitted to relay|we do not relay|authentication required",
    re.I,
)
_SENDER_WORD = re.compile(r"\bsender\b", re.I)


def relay_denied(text: str) -> bool:
    """The reply says the relay will not relay for us, or wants us to authenticate first."""
    return bool(_RELAY_DENIED.search(text))


def refuses_sender(text: str, *, sender: str, recipient: str) -> bool:
    """The reply (at RCPT TO, say) is about the envelope sender rather than the recipient.

    Postfix, for one, delays sender restrictions to RCPT: "553 5.7.1 <no-reply@x>: Sender address
    rejected: not owned by user …".
    """
    lowered = text.lower()
    if _SENDER_WORD.search(text):
        return True
    return sender.lower() in lowered and recipient.lower() not in lowered
