"""The verdict engine (SPEC §6.1): exactly one verdict, the first rule that matches wins.

A rule whose evidence comes from a check that ended `error` or `skipped` cannot match. Pure functions of
the check results; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from workers.report import details, details_dns, details_provider
from workers.report.details import BOUNCED_OUTCOMES, PENDING_STATUSES, CourierMessage
from workers.report.lookalikes import Candidate
from workers.report.model import CheckResult, Severity, Status, Verdict
from workers.report.smtp_classify import SMTP_CLASSES

Checks = Mapping[str, CheckResult]
MAX_CHECK_BUTTONS = 3  # SPEC §14: a button per look-alike identity, at most three


def _newest(checks: Checks) -> CourierMessage | None:
    courier = details.courier(checks)
    return courier["newest"] if courier else None


def _provider_outcome(checks: Checks) -> str | None:
    provider = details_provider.provider(checks)
    newest = provider.get("newest") if provider else None
    return newest.get("outcome") if newest else None


def _typo_of(checks: Checks) -> str | None:
    recipient = details_dns.recipient(checks)
    return recipient.get("typo_of") if recipient else None


def _disposable(checks: Checks) -> bool:
    """Rule 1; a disposable domain that is a likely typo of a well-known mailbox domain (gmial.com is
    both) is a typo first (SPEC §14): rule 3 decides it."""
    recipient = details_dns.recipient(checks)
    return bool(recipient and recipient.get("disposable")) and not _typo_of(checks)


def candidates(checks: Checks) -> list[Candidate]:
    """The look-alike identities the identity check found (SPEC §14), closest first."""
    identity = details.identity(checks)
    return list(identity.get("candidates") or []) if identity else []


def _unverified_under_a_typo(checks: Checks) -> bool:
    identity = details.identity(checks)
    address = identity.get("address") if identity else None
    return bool(identity and identity["found"] and _typo_of(checks) and not (address and address["verified"]))


def _address_mismatch(checks: Checks) -> bool:
    """Rule 3: no identity has the address but a look-alike does, or the address has an unverified
    identity and its domain is a likely typo of a well-known mailbox domain."""
    identity = details.identity(checks)
    if identity is not None and identity["found"] is False and candidates(checks):
        return True
    return _unverified_under_a_typo(checks)


def addresses_to_check(checks: Checks) -> list[str]:
    """What the `check_address` buttons run a report for, in order (their values index this list):
    the look-alike identities' addresses, or the typo-corrected address; at most MAX_CHECK_BUTTONS."""
    found = [c["address"] for c in candidates(checks)]
    if not found and _unverified_under_a_typo(checks):
        recipient = details_dns.recipient(checks)
        suggested = recipient.get("suggested_address") if recipient else None
        found = [suggested] if suggested else []
    return found[:MAX_CHECK_BUTTONS]


def _recipient_invalid(checks: Checks) -> bool:
    result = checks.get("recipient")
    codes = {f.code for f in result.findings} if result is not None and result.usable else set()
    return bool(codes & {"recipient_nxdomain", "recipient_null_mx", "recipient_no_mx"})


def _no_identity(checks: Checks) -> bool:
    identity = details.identity(checks)
    return identity is not None and identity["found"] is False


def _stuck(checks: Checks) -> bool:
    courier = details.courier(checks)
    return bool(courier and courier["stuck"])


def _failing(checks: Checks) -> bool:
    newest = _newest(checks)
    if newest is None:
        return False
    failed = any(d["status"] == "failed" for d in newest["dispatches"])
    return newest["status"] == "abandoned" or (newest["status"] in PENDING_STATUSES and failed)


def _probe_refused(checks: Checks) -> bool:
    """The live probe shows the relay refusing us: the class of a failed `smtp` check."""
    smtp = checks.get("smtp")
    if smtp is None or smtp.status != Status.FAIL:
        return False
    probe = details.smtp(checks)
    return probe is not None and probe.get("classification") in SMTP_CLASSES


def _relay_refuses_courier_unknown(checks: Checks) -> bool:
    """Rule 6's exception: with the courier unreadable, a relay that refuses us explains missing mail."""
    courier = checks.get("courier")
    return (courier is None or not courier.usable) and _probe_refused(checks)


def smtp_failure_class(checks: Checks) -> Verdict:
    """Rule 6's class: the dispatch errors decide; the live probe only when they carry no text."""
    courier = details.courier(checks)
    if courier and courier["classification"] in SMTP_CLASSES:
        return Verdict(courier["classification"])
    probe = details.smtp(checks)
    probe_class = probe.get("classification") if probe else None
    if not (courier and courier["last_error"]) and probe_class in SMTP_CLASSES:
        return Verdict(probe_class)
    return Verdict.COURIER_FAILING


def _suppressed(checks: Checks) -> bool:
    provider = details_provider.provider(checks)
    return bool(provider and provider.get("suppressed"))


def _pending(checks: Checks) -> bool:
    newest = _newest(checks)
    return bool(newest and newest["status"] in PENDING_STATUSES and not _stuck(checks))


def _no_message(checks: Checks) -> bool:
    courier = details.courier(checks)
    return courier is not None and courier["newest"] is None


def _already_verified(checks: Checks) -> bool:
    identity = details.identity(checks)
    address = identity.get("address") if identity else None
    return _no_message(checks) and bool(address and address["verified"])


def _sent(checks: Checks) -> bool:
    newest = _newest(checks)
    return bool(newest and newest["status"] == "sent")


def _smtp_failure(checks: Checks) -> bool:
    return _failing(checks) or _relay_refuses_courier_unknown(checks)


# Rule 6 matches as COURIER_FAILING; `smtp_failure_class` then says which of its five classes it is.
_RULES: tuple[tuple[Verdict, Callable[[Checks], bool]], ...] = (
    (Verdict.DISPOSABLE_DOMAIN, _disposable),
    (Verdict.RECIPIENT_INVALID, _recipient_invalid),
    (Verdict.ADDRESS_MISMATCH, _address_mismatch),
    (Verdict.NO_IDENTITY, _no_identity),
    (Verdict.COURIER_STUCK, _stuck),
    (Verdict.COURIER_FAILING, _smtp_failure),
    (Verdict.PROVIDER_SUPPRESSED, _suppressed),
    (Verdict.COURIER_PENDING, _pending),
    (Verdict.PROVIDER_BOUNCED, lambda checks: _provider_outcome(checks) in BOUNCED_OUTCOMES),
    (Verdict.PROVIDER_DEFERRED, lambda checks: _provider_outcome(checks) == "deferred"),
    (Verdict.ALREADY_VERIFIED, _already_verified),
    (Verdict.NO_MESSAGE, _no_message),
    (Verdict.DELIVERED, lambda checks: _provider_outcome(checks) == "delivered"),
    (Verdict.SENT, _sent),
)


def decide_verdict(checks: Checks) -> Verdict:
    for verdict, matches in _RULES:
        if matches(checks):
            return smtp_failure_class(checks) if verdict == Verdict.COURIER_FAILING else verdict
    return Verdict.UNKNOWN


def spam_risk(checks: Checks) -> str:
    """From the findings of `sender_auth` and `blocklists` only (SPEC §6.1)."""
    relevant = [checks[name] for name in ("sender_auth", "blocklists") if name in checks]
    severities = {f.severity for result in relevant for f in result.findings}
    if Severity.FAIL in severities:
        return "high"
    if Severity.WARN in severities:
        return "medium"
    sender_auth = checks.get("sender_auth")
    if sender_auth is None or not sender_auth.usable:
        return "unknown"  # SPF/DKIM/DMARC not read is never "low"
    return "low"


def offered_actions(checks: Checks, verdict: Verdict, *, flush_configured: bool) -> list[str]:
    """The §7 buttons for this report, in display order."""
    identity = details.identity(checks)
    found = bool(identity and identity["found"])
    address = identity.get("address") if identity else None
    provider = details_provider.provider(checks)
    suppression = provider.get("suppression") if provider else None
    actions = []
    if verdict == Verdict.COURIER_STUCK and flush_configured:
        actions.append("flush")
    # Never a code sent again to an address that is probably not the user's (a typo-squatter may hold it).
    sends = found and verdict != Verdict.ADDRESS_MISMATCH
    if sends and address and not address["verified"]:
        actions.append("resend_verification")
    if sends:
        actions.append("resend_recovery")
    if verdict == Verdict.ADDRESS_MISMATCH and addresses_to_check(checks):
        actions.append("check_address")
    if verdict == Verdict.PROVIDER_SUPPRESSED and suppression and suppression.get("removable"):
        actions.append("unsuppress")
    actions.append("rerun")
    return actions
