"""Remove secrets, codes and links from text we did not write (command output, remote error text).

Known secrets (from the settings) are replaced wherever they appear, also URL-encoded; patterns catch
the usual shapes of the ones we cannot know (tokens, `key=value` credentials, URL userinfo). Links are
dropped whole because verification and recovery links carry their code or flow in the query, and
6–8 digit numbers because that is what Kratos codes look like.

A server we authenticate with (the SMTP relay) may echo the credentials back, also in the base64 forms
AUTH sends: `credentials_scrubber` removes exactly those from its replies and leaves the rest as evidence.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote, urlsplit

from workers.core.settings import Settings

MIN_SECRET_LEN = 4  # shorter "secrets" would blank out ordinary words
SHORT_CREDENTIAL_LEN = 8  # a shorter credential is only matched standing alone ("test", not "latest")
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:xox[abposre]|xapp)-[\w-]+"), "[token]"),
    (re.compile(r"\b(?:re_[A-Za-z0-9_]{8,}|xkeysib-[\w-]+|xsmtpsib-[\w-]+|api-[A-F0-9]{32})\b"), "[key]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 [secret]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization)"
            r"(\"?\s*[:=]\s*\"?)[^\s\"&,;]+"
        ),
        r"\1\2[secret]",
    ),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/@]+@\S+", re.IGNORECASE), "[link]"),
    (re.compile(r"\bhttps?://\S+", re.IGNORECASE), "[link]"),
    (re.compile(r"\b\d{6,8}\b"), "[code]"),
)


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value in the settings, with the SMTP password on its own (it sits in the URI)."""
    values = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.mail_provider_api_key,
            settings.postmark_account_token,
            settings.resend_webhook_secret,
            settings.courier_smtp_connection_uri,
        )
        if secret is not None
    ]
    if settings.courier_smtp_connection_uri is not None:
        password = urlsplit(settings.courier_smtp_connection_uri.get_secret_value()).password
        if password:
            values.append(password)
    return values


def _variants(secret: str) -> set[str]:
    return {secret, unquote(secret), quote(secret, safe=""), quote(unquote(secret), safe="")}


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    # Longest first, so that a password inside a URI does not leave the rest of the URI behind.
    variants = {v for secret in secrets for v in _variants(secret) if len(v) >= MIN_SECRET_LEN}
    for value in sorted(variants, key=len, reverse=True):
        text = text.replace(value, "[secret]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def credentials_scrubber(username: str, password: str) -> Callable[[str], str]:
    """Remove the credentials, and their base64 forms as AUTH PLAIN and LOGIN send them, from any text."""
    plain = f"\0{username}\0{password}" if username else ""
    raw = [value for value in (username, password) if value]
    encoded = [base64.b64encode(value.encode()).decode().rstrip("=") for value in (*raw, plain) if value]
    patterns = [_credential_pattern(secret) for secret in sorted(set(raw + encoded), key=len, reverse=True)]

    def scrub_credentials(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub("[redacted]", text)
        return text

    return scrub_credentials


def _credential_pattern(secret: str) -> re.Pattern[str]:
    if len(secret) >= SHORT_CREDENTIAL_LEN:
        return re.compile(re.escape(secret))
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])")


def last_lines(text: str, limit: int) -> str:
    """The end of `text`, whole lines where possible, at most `limit` characters."""
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        if size + len(line) + (1 if kept else 0) > limit:
            if not kept:
                kept.append(line[-limit:])
            break
        kept.append(line)
        size += len(line) + (1 if len(kept) > 1 else 0)
    return "\n".join(reversed(kept))


class SelfServiceUrlFilter(logging.Filter):
    """httpx logs every request URL at INFO; a self-service flow URL keeps its query (the flow id, and
    in an emailed link the code) out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_flow_query(arg) for arg in record.args)
        return True


def _without_flow_query(value: object) -> object:
    text = str(value)
    if "/self-service/" in text and "?" in text:
        return text.split("?", 1)[0] + "?[redacted]"
    return value


def redact_self_service_urls(logger_name: str = "httpx") -> None:
    """Install SelfServiceUrlFilter once on `logger_name` (idempotent)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, SelfServiceUrlFilter) for f in logger.filters):
        logger.addFilter(SelfServiceUrlFilter())
