"""One table that turns an SMTP failure into a verdict class (SPEC §6.1 rule 5).

Used for the error text Kratos records on failed courier dispatches and for the live probe's
failures. The first matching row wins; order matters (a TLS handshake timeout is a TLS problem).
"""

from __future__ import annotations

import re

SMTP_AUTH_FAILED = "smtp_auth_failed"
SMTP_UNREACHABLE = "smtp_unreachable"
SMTP_TLS_FAILED = "smtp_tls_failed"
SMTP_REJECTED = "smtp_rejected"
COURIER_FAILING = "courier_failing"

SMTP_CLASSES = (SMTP_AUTH_FAILED, SMTP_UNREACHABLE, SMTP_TLS_FAILED, SMTP_REJECTED)

_TABLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(530|534|535)\b|\b5\.7\.(0|8|9)\b.*auth|authentication (failed|unsuccessful|required)|"
                r"unauthenticated|auth(entication)? credentials invalid|username and password not accepted",
                re.I), SMTP_AUTH_FAILED),
    (re.compile(r"x509|certificate|tls:|\btls\b.*(handshake|alert|failed)|ssl|handshake|starttls", re.I),
     SMTP_TLS_FAILED),
    (re.compile(r"no such host|dial tcp|i/o timeout|connection refused|connection reset|network is unreachable|"
                r"no route to host|timed out|timeout|deadline exceeded|name or service not known|"
                r"nodename nor servname|temporary failure in name resolution|\bEOF\b|nxdomain", re.I),
     SMTP_UNREACHABLE),
    (re.compile(r"(^|\D)5\d\d[ -]|\b5\.\d{1,3}\.\d{1,3}\b", re.I), SMTP_REJECTED),
)


def classify_error_text(text: str) -> str | None:
    """The SMTP class for an error text, or None when nothing in it is recognizable."""
    for pattern, verdict in _TABLE:
        if pattern.search(text):
            return verdict
    return None
