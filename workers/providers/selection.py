"""Which transactional-mail provider sends our mail (SPEC §5, reference/providers.md §8)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from workers.core.settings import Settings

# Regex on the lower-cased relay host; first match wins. Providers we have no API adapter for
# (SES, SendGrid, Mailgun) count as plain `smtp`.
_SMTP_HOST_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^smtp\.resend\.com$"), "resend"),
    (re.compile(r"^smtp(-broadcasts)?\.postmarkapp\.com$"), "postmark"),
    (re.compile(r"^smtp-relay\.(brevo|sendinblue)\.com$"), "brevo"),
    (re.compile(r"^mail(-us|-eu|-au)?\.smtp2go\.com$"), "smtp2go"),
)


def infer_from_host(host: str | None) -> str:
    if not host:
        return "smtp"
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return "smtp"
    except ValueError:
        pass
    for pattern, provider in _SMTP_HOST_PATTERNS:
        if pattern.match(host):
            return provider
    return "smtp"


def relay_host(settings: Settings) -> str | None:
    if settings.courier_smtp_connection_uri is None:
        return None
    return urlsplit(settings.courier_smtp_connection_uri.get_secret_value()).hostname


def resolve_provider(settings: Settings) -> str:
    """`MAIL_PROVIDER`, or the provider inferred from the relay host when it is `auto`."""
    if settings.mail_provider != "auto":
        return settings.mail_provider
    return infer_from_host(relay_host(settings))
