"""The provider-neutral model every provider adapter produces.

Each adapter turns its API's answers into flat `MessageEvent`s plus the recipient's suppression; the
timeline module groups them into messages. Nothing here knows HTTP or a provider's field names.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from workers.core.times import parse_time


class DeliveryEvent(enum.StrEnum):
    """What a provider saw happen to one message."""

    SENT = "sent"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCED_HARD = "bounced_hard"
    BOUNCED_SOFT = "bounced_soft"
    COMPLAINED = "complained"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class MessageEvent:
    """One thing the provider saw happen to one message for our recipient."""

    message_id: str
    type: DeliveryEvent
    at: datetime
    reply: str | None = None  # the receiving server's SMTP reply (or the provider's reason), if known


@dataclass(frozen=True)
class Suppression:
    reason: str  # the provider's own word for it (HardBounce, bounce, hardBounce, …)
    since: datetime | None
    removable: bool


@dataclass
class ProviderRecord:
    """Everything one provider told us about one recipient inside the look-back window."""

    events: list[MessageEvent] = field(default_factory=list)
    sent_at: dict[str, datetime] = field(default_factory=dict)  # message id → accepted by the provider
    dashboard_urls: dict[str, str] = field(default_factory=dict)
    suppression: Suppression | None = None
    notes: list[str] = field(default_factory=list)  # caveats worth showing (scan truncated, …)


@dataclass(frozen=True)
class DnsRecordSpec:
    """One DNS record the provider asks for on the sender domain, and whether it saw it."""

    kind: str  # DKIM, SPF, Return-Path, MX, ownership, DMARC, tracking
    host: str  # absolute, lower-case, without the trailing dot
    type: str  # TXT, CNAME or MX
    value: str  # what the provider expects there
    verified: bool
    status: str  # the provider's own word for this record ("pending", "false", …)
    # The provider's flag does not follow DNS once set (Postmark's DKIMVerified): look it up anyway.
    sticky: bool = False


@dataclass(frozen=True)
class SenderDomain:
    """The From domain as the provider sees it."""

    name: str
    state: str  # the provider's own words for the domain's state ("pending", "DKIMVerified: false", …)
    verified: bool
    records: tuple[DnsRecordSpec, ...] = ()


class RemovalOutcome(enum.StrEnum):
    REMOVED = "removed"
    NOT_SUPPRESSED = "not_suppressed"
    REFUSED = "refused"  # the provider will not lift it (e.g. Postmark SpamComplaint)
    ERROR = "error"  # the provider API could not be asked


@dataclass(frozen=True)
class RemovalResult:
    outcome: RemovalOutcome
    detail: str

    @property
    def ok(self) -> bool:
        return self.outcome is RemovalOutcome.REMOVED


@dataclass(frozen=True)
class ProviderSpec:
    """How to reach one provider's API; the key goes into `auth_header` prefixed by `auth_scheme`."""

    name: str
    label: str
    base_url: str
    auth_header: str
    auth_scheme: str = ""
    # Headers that say how many seconds until the rate-limit window resets, tried after Retry-After.
    reset_headers: tuple[str, ...] = ()

    def headers(self, api_key: str) -> dict[str, str]:
        return {
            self.auth_header: f"{self.auth_scheme}{api_key}",
            "Accept": "application/json",
            "User-Agent": "mailcheck",
        }


def _provider_time(value: Any) -> Any:
    # Anything that is not text or a time is left to pydantic (which reads a number as a Unix time).
    return parse_time(value) if isinstance(value, str | datetime) else value


# Providers disagree on time formats ("2026-04-03 22:13:42.67+00", "…Z", naive UTC): accept them all.
ProviderTime = Annotated[datetime, BeforeValidator(_provider_time)]


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, the form Kratos uses, so times compare as text across checks."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def strip_smtp_prefix(text: str | None) -> str | None:
    """DSN diagnostic codes come as "smtp; 550 …" or "smtp;550 …"; the reply is what follows."""
    if text is None:
        return None
    text = text.strip()
    if text.lower().startswith("smtp;"):
        text = text[5:].strip()
    return text or None


def with_server(reply: str | None, server: str | None) -> str | None:
    if reply and server:
        return f"{reply} at {server}"
    return reply


def absolute_host(host: str, domain: str) -> str:
    """A record name as a provider shows it ("send", "resend._domainkey.updates", "@", "mail._domainkey.")
    made absolute under the sender `domain`.

    Providers write names relative to the registered zone, so for a subdomain sender
    ("updates.example.com") a name may already end in the subdomain's own labels ("…updates"). A zone
    is taken to have two labels at least, so an apex sender is never cut (no public suffix list here).
    """
    host = host.strip().lower().rstrip(".")
    domain = domain.strip().lower().rstrip(".")
    if host in ("", "@") or host == domain or host.endswith("." + domain):
        return host if host not in ("", "@") else domain
    labels = domain.split(".")
    for cut in range(len(labels) - 2, 0, -1):  # the longest subdomain part first
        prefix, zone = ".".join(labels[:cut]), ".".join(labels[cut:])
        if host == prefix or host.endswith("." + prefix):
            return f"{host}.{zone}"
    return f"{host}.{domain}"
