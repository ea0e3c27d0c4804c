"""The shapes of the check details (SPEC §5, §6.1): where the checks write them and where the verdict, the
advice and the renderer read them, one spelling for both under mypy.

`CheckResult.details` stays a JSON-able dict (it round-trips through Redis and Slack metadata); every
check builds it as one of these TypedDicts and hands `dict(details)` to its `CheckResult`. Each key is
documented once, beside its type. The shapes, by check (a usable result's first, then the smaller ones of
its `error` or `skipped` results; defined here, or in the module of `workers/report/` named):

  identity     IdentityDetails (look-alike keys: lookalikes.py)
  courier      CourierDetails
  smtp         SmtpDetails; SmtpUnread
  sender_auth  SenderAuthDetails (SpfDetails, DkimDetails, DmarcDetails); SenderAuthUnread   details_dns
  blocklists   BlocklistsDetails; BlocklistsBase, BlocklistsUnread, ResolverProblem          details_dns
  recipient    RecipientDetails; RecipientBase, RecipientUnread                              details_dns
  provider     ProviderDetails (and its two sections); ProviderUnread                        details_provider

Over several Kratos instances, `identity` and `courier` also carry InstanceKeys, and are InstancesUnread
when the instance that decides could not be read (`workers/checks/instances.py`); an instance whose
Kratos cannot be read ends `error` with `KratosError.details()` (`error`, `setting`). A check that ended
`error` or `skipped` decides nothing: read details through the accessors (`identity(checks)`,
`identity_of(result)`, …), which hand them out only when they may decide a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

from workers.report.lookalikes import Candidate, SimilarSearch
from workers.report.model import CheckResult

# Courier message states in which the mail has not left yet (Kratos `queued`/`processing`).
PENDING_STATUSES = ("queued", "processing")
# Provider outcomes that say the recipient's server refused the mail.
BOUNCED_OUTCOMES = ("bounced_hard", "bounced_soft")


class ReplyExplained(TypedDict, total=False):
    """SPEC §15: beside every SMTP reply text, what it means (`ReplyExplanation.to_details`)."""

    category: str  # a `Category` value
    side: str  # a `Side` value
    mailbox_provider: str  # a key of workers/report/mailboxes.py, "" when unknown or our own relay
    meaning: str  # one sentence for a support engineer, with what to do


class FindingDetails(TypedDict):
    """One finding as JSON."""

    code: str  # e.g. "courier_abandoned"
    severity: str  # a `Severity` value
    summary: str  # one sentence


class PackedResult(TypedDict):
    """One Kratos instance's own result of `identity` or `courier`, kept under `instances`."""

    status: str  # a `Status` value
    summary: str  # the instance's own summary
    details: dict[str, Any]  # the instance's IdentityDetails or CourierDetails, as the model holds them
    findings: list[FindingDetails]  # the instance's own findings


class InstanceKeys(TypedDict, total=False):
    """What the multi-instance merge adds to `identity` and `courier` (SPEC §12)."""

    instance: str  # the Kratos instance that decides the report, "" when none does
    instances: dict[str, PackedResult]  # with several instances: each one's own result, by name


class InstancesUnread(InstanceKeys, total=False):
    """`identity` or `courier` over several instances when the one the verdict needs could not be read."""

    setting: str  # that instance's admin URL setting (KRATOS_ADMIN_URL, KRATOS_<NAME>_ADMIN_URL)


class AddressDetails(TypedDict):
    """The Kratos verifiable address that matches the email."""

    value: str | None  # the address as Kratos stores it
    verified: bool | None  # whether it is verified
    status: str | None  # Kratos's verification status ("pending", "sent", "completed")
    verified_at: str | None  # when it was verified (RFC 3339)


class IdentityDetails(InstanceKeys):
    """`identity`: only `found` when no identity has the address, then also the look-alike search."""

    found: bool  # an identity has the address as a login identifier
    identity_id: NotRequired[str | None]  # found: the identity's id
    schema_id: NotRequired[str | None]  # found: its identity schema
    state: NotRequired[str | None]  # found: "active" | "inactive"
    address: NotRequired[AddressDetails | None]  # found: its verifiable address for the email, if any
    verification_enabled: NotRequired[
        bool | None
    ]  # found, unverified: the instance's flow is on (None: unknown)
    candidates: NotRequired[list[Candidate]]  # not found: look-alike identities, closest first
    similar_search: NotRequired[SimilarSearch]  # not found: how the look-alike search went
    similar_search_note: NotRequired[str]  # not found: a caveat about that search


class DispatchDetails(ReplyExplained):
    """One dispatch attempt; the four keys of `ReplyExplained` explain `error` when there is one."""

    id: str | None  # the dispatch's id
    status: str  # "failed" | "success"
    created_at: str | None  # when it was attempted (RFC 3339)
    error: str  # the error text, "" when the attempt carries none


class CourierMessage(TypedDict):
    """One courier message, metadata only (never a body or subject), with its dispatch history."""

    id: str  # the courier message's id
    status: str  # "queued" | "processing" | "sent" | "abandoned"
    template_type: str | None  # e.g. "verification_code_valid"
    send_count: int | None  # Kratos's attempt counter
    created_at: str  # RFC 3339
    updated_at: str | None  # RFC 3339
    age_s: float  # seconds since created (since updated while `processing`)
    dispatches: list[DispatchDetails]  # newest first; fetched for the newest few messages only


class CourierDetails(ReplyExplained, InstanceKeys):
    """`courier`; the four keys of `ReplyExplained` explain `last_error` when there is one."""

    window_days: int  # the look-back window searched
    count: int  # messages to the address in the window
    messages: list[CourierMessage]  # newest first, at most MAX_LISTED
    newest: CourierMessage | None  # the first of `messages`
    stuck: bool  # the newest has waited longer than COURIER_STUCK_AFTER (rule 5)
    failed_dispatches: int  # failed dispatches of the newest
    classification: str | None  # a `Verdict` of SMTP_CLASSES: what the newest's dispatch errors say
    last_error: str  # the newest failed dispatch's error text, "" when none


class RelayDetails(TypedDict):
    """The relay as COURIER_SMTP_CONNECTION_URI names it (`SmtpRelay.describe`), never a credential."""

    host: str  # the relay's host name or IP
    port: int  # the port probed (the scheme's default when the URI has none)
    mode: str  # "implicit_tls" | "starttls" | "plain"
    skip_ssl_verify: bool  # the URI's skip_ssl_verify
    server_name: str | None  # the URI's server_name
    verify_certificate: bool  # whether Kratos verifies the certificate
    local_name: str  # the EHLO name
    port_in_uri: bool  # whether the URI names a port (Kratos dials :0 without one)
    authenticates: bool  # whether the URI carries a username


class PhaseDetails(TypedDict):
    """One phase of the probe, in order."""

    phase: str  # "resolve" | "connect" | "tls" | "banner" | "ehlo" | "starttls" | … | "rcpt_to"
    ms: int  # how long it took
    ok: bool  # whether it succeeded
    reply: str | None  # the server's "code text"
    error: str | None  # what failed that is not an SMTP reply


class ProbeDetails(ReplyExplained):
    """What one probe found; the four keys of `ReplyExplained` explain `reply` when there is one."""

    relay: RelayDetails  # the relay probed
    address: str | None  # the IP address connected to
    mail_from: str  # the envelope sender (COURIER_SMTP_FROM_ADDRESS, else Kratos's default)
    auth: str | None  # the AUTH mechanism used, why none was, or None without credentials
    phases: list[PhaseDetails]  # the phases run, in order
    failed_phase: str | None  # the phase that decided a fail, warn or error ("config": a URI without port)
    classification: str | None  # a `Verdict` of SMTP_CLASSES when the relay refused us, else None
    reply: str | None  # the decisive server reply, e.g. "550 5.1.1 user unknown"
    error: str | None  # the decisive error that is not an SMTP reply (refused, timed out, certificate)
    answers_tls: bool | None  # smtp:// to a silent port: a TLS handshake completed there (None: not asked)
    elapsed_ms: int  # the whole probe


class SmtpDetails(ProbeDetails):
    """`smtp`: the live probe, and the setting to fix."""

    setting: str | None  # the setting to fix when the failure is a configuration mistake, else None


class SmtpUnread(TypedDict):
    """`smtp` ended `error` before the probe: an address SMTP cannot carry."""

    relay: RelayDetails  # the relay that would have been probed


def usable(result: CheckResult | None) -> Mapping[str, Any] | None:
    """A result's details when its evidence may decide a verdict (SPEC §6.1: not error/skipped)."""
    return result.details if result is not None and result.usable else None


def usable_details(checks: Mapping[str, CheckResult], name: str) -> Mapping[str, Any] | None:
    """The details of check `name` when its evidence may decide a verdict."""
    return usable(checks.get(name))


def identity(checks: Mapping[str, CheckResult]) -> IdentityDetails | None:
    return identity_of(checks.get("identity"))


def identity_of(result: CheckResult | None) -> IdentityDetails | None:
    return cast(IdentityDetails | None, usable(result))


def courier(checks: Mapping[str, CheckResult]) -> CourierDetails | None:
    return courier_of(checks.get("courier"))


def courier_of(result: CheckResult | None) -> CourierDetails | None:
    return cast(CourierDetails | None, usable(result))


def smtp(checks: Mapping[str, CheckResult]) -> SmtpDetails | None:
    return smtp_of(checks.get("smtp"))


def smtp_of(result: CheckResult | None) -> SmtpDetails | None:
    return cast(SmtpDetails | None, usable(result))


def packed_instances(result: CheckResult) -> dict[str, PackedResult] | None:
    """Each instance's own result of `identity` or `courier`, whatever its status; None with one instance."""
    packed = result.details.get("instances")
    return cast(dict[str, PackedResult], packed) if isinstance(packed, dict) else None
