"""The shapes of the check details the verdict reads (SPEC §6.1), and the vocabulary they share.

`CheckResult.details` stays a JSON-able dict (it round-trips through Redis and Slack metadata); these
TypedDicts name the keys the judgement relies on, so the checks that write them and the verdict that
reads them agree on one spelling. A check that ended `error` or `skipped` carries none of this: read
details through `usable_details`, which hands them out only when they may decide a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

from workers.report.lookalikes import Candidate
from workers.report.model import CheckResult

# Courier message states in which the mail has not left yet (Kratos `queued`/`processing`).
PENDING_STATUSES = ("queued", "processing")
# Provider outcomes that say the recipient's server refused the mail.
BOUNCED_OUTCOMES = ("bounced_hard", "bounced_soft")


class AddressDetails(TypedDict):
    """The Kratos verifiable address that matches the email."""

    value: str | None
    verified: bool | None
    status: str | None
    verified_at: str | None


class IdentityDetails(TypedDict):
    """`identity`: only `found` when no identity has the address, then also the look-alike search
    (`workers/report/lookalikes.py`: `candidates`, `similar_search`, `similar_search_note`)."""

    found: bool
    identity_id: NotRequired[str | None]
    schema_id: NotRequired[str | None]
    state: NotRequired[str | None]
    address: NotRequired[AddressDetails | None]
    candidates: NotRequired[list[Candidate]]
    similar_search: NotRequired[str]
    similar_search_note: NotRequired[str]


class ReplyExplained(TypedDict, total=False):
    """SPEC §15: beside every SMTP reply text, what it means (`workers/report/replies.py`)."""

    category: str  # a `Category` value
    side: str  # a `Side` value
    mailbox_provider: str  # a key of workers/report/mailboxes.py, "" when unknown or our own relay
    meaning: str  # one sentence for a support engineer, with what to do


class DispatchDetails(ReplyExplained):
    """One dispatch attempt; the four keys of `ReplyExplained` explain `error` when there is one."""

    id: str | None
    status: str  # "failed" | "success"
    created_at: str | None
    error: str  # "" when the attempt carries no error text


class CourierMessage(TypedDict):
    """One courier message, metadata only (never a body or subject), with its dispatch history."""

    id: str
    status: str  # "queued" | "processing" | "sent" | "abandoned"
    template_type: str | None
    send_count: int | None
    created_at: str
    updated_at: str | None
    age_s: float
    dispatches: list[DispatchDetails]


class CourierDetails(ReplyExplained):
    """The four keys of `ReplyExplained` explain `last_error` when there is one."""

    window_days: int
    count: int
    messages: list[CourierMessage]
    newest: CourierMessage | None
    stuck: bool
    failed_dispatches: int
    classification: str | None  # a `Verdict` of SMTP_CLASSES: what the newest's dispatch errors say
    last_error: str


class SmtpDetails(ReplyExplained, total=False):
    """`smtp`: the live probe; `classification` is set when the relay refused us; the four keys of
    `ReplyExplained` explain `reply` when there is one."""

    classification: str | None  # a `Verdict` of SMTP_CLASSES, or None
    reply: str | None
    mail_from: str


class ProviderDomain(TypedDict, total=False):
    """The provider check's `sender_domain` section: the From domain as the provider sees it."""

    domain: str | None


class ProviderMessage(ReplyExplained, total=False):
    """The four keys of `ReplyExplained` explain `reply` when there is one."""

    outcome: str  # "sent" | "delivered" | "deferred" | "bounced_hard" | … (the provider's event types)
    reply: str | None
    dashboard_url: str | None


class Suppression(TypedDict, total=False):
    reason: str
    since: str | None
    removable: bool


class ProviderDetails(TypedDict, total=False):
    provider: str
    suppressed: bool
    suppression: Suppression | None
    newest: ProviderMessage | None
    decisive: str | None
    sender_domain: ProviderDomain


class MixedScriptDetails(TypedDict):
    local_part: list[str]
    domain: list[str]


class RecipientDetails(TypedDict, total=False):
    domain: str
    disposable: bool
    mailbox_provider: str | None
    typo_of: str | None  # the well-known mailbox domain this one is a likely typo of (SPEC §14)
    suggested_address: str | None  # the address with that domain
    mixed_script: MixedScriptDetails | None


def usable_details(checks: Mapping[str, CheckResult], name: str) -> Mapping[str, Any] | None:
    """The details of check `name` when its evidence may decide a verdict (not error/skipped)."""
    result = checks.get(name)
    return result.details if result is not None and result.usable else None


def identity(checks: Mapping[str, CheckResult]) -> IdentityDetails | None:
    return cast(IdentityDetails | None, usable_details(checks, "identity"))


def courier(checks: Mapping[str, CheckResult]) -> CourierDetails | None:
    return cast(CourierDetails | None, usable_details(checks, "courier"))


def smtp(checks: Mapping[str, CheckResult]) -> SmtpDetails | None:
    return cast(SmtpDetails | None, usable_details(checks, "smtp"))


def provider(checks: Mapping[str, CheckResult]) -> ProviderDetails | None:
    return cast(ProviderDetails | None, usable_details(checks, "provider"))


def recipient(checks: Mapping[str, CheckResult]) -> RecipientDetails | None:
    return cast(RecipientDetails | None, usable_details(checks, "recipient"))
