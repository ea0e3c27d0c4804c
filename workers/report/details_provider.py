"""The shapes of the `provider` check's details: what the mail provider saw of mail to the recipient
(`workers/providers/timeline.py`), with the From domain's verification (`sender_domain.py`) and the last
24 hours of mail to the recipient's mailbox provider (`mailbox_traffic.py`) beside it.

Like every shape in `workers/report/details.py`: the writers build these, the readers read them through
`provider` at the end, one spelling for both. Event types and outcomes: sent, delivered, deferred,
bounced_hard, bounced_soft, complained, suppressed (a temporary failure is `deferred`, never a bounce).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict, cast

from workers.report.details import ReplyExplained, usable
from workers.report.model import CheckResult


class ProviderEvent(ReplyExplained):
    """One thing the provider saw happen to a message; `ReplyExplained` explains `reply`."""

    type: str  # a `DeliveryEvent` value
    at: str  # RFC 3339, UTC
    reply: str | None  # the receiving server's reply, or the provider's reason


class ProviderMessage(ReplyExplained):
    """One message to the recipient (never a subject or body); `ReplyExplained` explains `reply`."""

    id: str  # the provider's message id
    sent_at: str  # when the provider accepted it (RFC 3339, UTC)
    events: list[ProviderEvent]  # in order
    outcome: str  # its strongest event (`OUTCOME_PRECEDENCE`)
    reply: str | None  # the deciding SMTP reply
    dashboard_url: str | None  # the provider's page for it
    courier_message_id: str | None  # the Kratos courier message it carried, once correlated


class SuppressionDetails(TypedDict):
    """The recipient on the provider's suppression list."""

    reason: str  # the provider's own word for it (HardBounce, bounce, …)
    since: str | None  # RFC 3339
    removable: bool  # the unsuppress button may lift it


class DomainRecord(TypedDict):
    """One DNS record the provider asks for on the sender domain (`workers/providers/domain_dns.py`)."""

    kind: str  # DKIM, SPF, Return-Path, MX, ownership, DMARC, tracking
    host: str  # absolute, lower-case, without the trailing dot
    type: str  # TXT, CNAME or MX
    value: str  # what the provider expects there
    status: str  # the provider's own word for the record's state
    verified: bool  # the provider's flag
    dns_found: bool | None  # in DNS as expected; False: missing or different; None: not compared
    dns_values: list[str]  # what DNS has at that host and type, when it differs


class SenderDomainSection(TypedDict):
    """The From domain's verification at the provider (SPEC §15)."""

    domain: str | None  # the From domain
    outcome: str  # verified | unverified | missing | unreadable | skipped | error
    verified: bool | None  # None: not read
    provider_state: str | None  # the provider's own words for the domain's state
    records: list[DomainRecord]  # the records it asks for
    note: str | None  # why it was not read, or a caveat (DNS not comparable, …)
    cached: NotRequired[bool]  # it came from the short-lived cache (not in what the cache keeps)


class MailboxGroupDetails(TypedDict):
    key: str  # the mailbox provider's key ("microsoft"), or "domain" when it could not be named
    name: str  # its name, or the recipient's domain
    domains: list[str]  # the well-known domains and the recipient's own, sorted


class TrafficCounts(TypedDict):
    """Messages counted once each, by outcome."""

    messages: int  # all of them
    failed: int  # refused or deferred
    bounced: int  # of those, refused
    deferred: int  # of those, deferred
    percent: int  # failed of messages, rounded


class DominantReply(ReplyExplained):
    """The most common failure reply of a group, counted; `ReplyExplained` explains `reply`."""

    reply: str  # the reply's text, scrubbed
    messages: int  # how many messages got it


class MailboxTraffic(TypedDict):
    """The last 24 hours of mail to the recipient's mailbox-provider group against all other mail, as the
    short-lived cache keeps it."""

    group: MailboxGroupDetails  # the recipient's mailbox-provider group
    window_hours: int  # 24
    outcome: str  # "counted" | "error"
    messages: NotRequired[int]  # counted: the group's messages
    failed: NotRequired[int]  # counted: of those, refused or deferred
    bounced: NotRequired[int]  # counted: of those, refused
    deferred: NotRequired[int]  # counted: of those, deferred
    percent: NotRequired[int]  # counted: failed of messages
    other: NotRequired[TrafficCounts]  # counted: every other domain
    capped: NotRequired[bool]  # counted: a scan stopped at its cap, so the counts are "at least"
    dominant_reply: NotRequired[DominantReply | None]  # counted: the group's most common failure reply
    notes: list[str]  # caveats


class MailboxTrafficSection(MailboxTraffic):
    """The provider check's `mailbox_provider` section (`workers/providers/mailbox_traffic.py`)."""

    cached: bool  # it came from the short-lived cache


class GroupTally(TrafficCounts):
    """One mailbox-provider group in the courier watch's count (`workers/providers/account_watch.py`)."""

    key: str  # the mailbox provider's key
    name: str  # its name
    dominant_reply: DominantReply | None  # the group's most common failure reply


class AccountTraffic(TypedDict):
    """The courier watch's `traffic` section: the last hour of mail counted for every mailbox provider."""

    window_hours: int  # 1
    outcome: str  # "counted" | "error"
    groups: NotRequired[list[GroupTally]]  # counted: the groups with mail, most failures first
    capped: NotRequired[bool]  # counted: a scan stopped at its cap, so the counts are "at least"
    notes: list[str]  # caveats; with `error`, why
    cached: NotRequired[bool]  # it came from the short-lived cache (not in what the cache keeps)


class ProviderDetails(TypedDict):
    """`provider` (`workers/checks/provider.py`)."""

    provider: str  # "resend" | "postmark" | "brevo" | "smtp2go"
    lookback_days: int  # the window searched
    suppressed: bool  # the recipient is on the provider's suppression list
    suppression: SuppressionDetails | None  # that entry
    messages: list[ProviderMessage]  # newest first, at most MAX_MESSAGES
    newest: ProviderMessage | None  # the newest, or once correlated that of the newest sent courier message
    decisive: str | None  # `newest`'s deciding SMTP reply
    correlated: bool  # `newest` was chosen by matching courier messages
    notes: list[str]  # caveats (a scan stopped at its cap, a section that could not be read, …)
    cached: NotRequired[bool]  # the recipient's part came from the short-lived cache (set by the lookup)
    sender_domain: NotRequired[SenderDomainSection]  # with the sections asked
    mailbox_provider: NotRequired[MailboxTrafficSection]  # with the sections asked


class ProviderUnread(TypedDict):
    """`provider` ended `skipped` (no API, no key) or `error` (the recipient's part could not be read)."""

    provider: str  # the provider resolved from MAIL_PROVIDER
    error: NotRequired[str]  # `error`: the `ProviderError` kind ("config", "unavailable", …)
    setting: NotRequired[str]  # `error`: the setting to fix, when the answer shows which


def provider(checks: Mapping[str, CheckResult]) -> ProviderDetails | None:
    return provider_of(checks.get("provider"))


def provider_of(result: CheckResult | None) -> ProviderDetails | None:
    return cast(ProviderDetails | None, usable(result))
