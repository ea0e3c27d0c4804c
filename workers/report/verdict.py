"""The verdict engine (SPEC §6.1): exactly one verdict, the first rule that matches wins.

A rule whose evidence comes from a check that ended `error` or `skipped` cannot match. Pure functions of
the check results; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workers.report.model import CheckResult, Severity, Status
from workers.report.smtp_classify import COURIER_FAILING, SMTP_CLASSES

Checks = Mapping[str, CheckResult]

UNKNOWN = "unknown"  # no rule could match: the checks that decide could not run
BOUNCED_OUTCOMES = ("bounced_hard", "bounced_soft")
PENDING_STATUSES = ("queued", "processing")


def _details(checks: Checks, name: str) -> dict[str, Any] | None:
    result = checks.get(name)
    return result.details if result is not None and result.usable else None


def _newest(checks: Checks) -> dict[str, Any] | None:
    courier = _details(checks, "courier")
    return courier.get("newest") if courier else None


def _provider_outcome(checks: Checks) -> str | None:
    provider = _details(checks, "provider")
    newest = provider.get("newest") if provider else None
    return newest.get("outcome") if isinstance(newest, dict) else None


def _disposable(checks: Checks) -> bool:
    recipient = _details(checks, "recipient")
    return bool(recipient and recipient.get("disposable"))


def _recipient_invalid(checks: Checks) -> bool:
    result = checks.get("recipient")
    codes = {f.code for f in result.findings} if result is not None and result.usable else set()
    return bool(codes & {"recipient_nxdomain", "recipient_null_mx", "recipient_no_mx"})


def _no_identity(checks: Checks) -> bool:
    identity = _details(checks, "identity")
    return identity is not None and identity.get("found") is False


def _stuck(checks: Checks) -> bool:
    courier = _details(checks, "courier")
    return bool(courier and courier.get("stuck"))


def _failing(checks: Checks) -> bool:
    newest = _newest(checks)
    if newest is None:
        return False
    failed = any(d.get("status") == "failed" for d in newest.get("dispatches", []))
    return newest["status"] == "abandoned" or (newest["status"] in PENDING_STATUSES and failed)


def _probe_refused(checks: Checks) -> bool:
    """The live probe shows the relay refusing us: the class of a failed `smtp` check."""
    smtp = checks.get("smtp")
    return (
        smtp is not None and smtp.status == Status.FAIL and smtp.details.get("classification") in SMTP_CLASSES
    )


def _relay_refuses_courier_unknown(checks: Checks) -> bool:
    """Rule 5's exception: with the courier unreadable, a relay that refuses us explains missing mail."""
    courier = checks.get("courier")
    return (courier is None or not courier.usable) and _probe_refused(checks)


def smtp_failure_class(checks: Checks) -> str:
    """Rule 5's class: the dispatch errors decide; the live probe only when they carry no text."""
    courier = _details(checks, "courier") or {}
    if courier.get("classification") in SMTP_CLASSES:
        return str(courier["classification"])
    smtp = _details(checks, "smtp")
    if not courier.get("last_error") and smtp and smtp.get("classification") in SMTP_CLASSES:
        return str(smtp["classification"])
    return COURIER_FAILING


def _suppressed(checks: Checks) -> bool:
    provider = _details(checks, "provider")
    return bool(provider and provider.get("suppressed"))


def _pending(checks: Checks) -> bool:
    newest = _newest(checks)
    return bool(newest and newest["status"] in PENDING_STATUSES and not _stuck(checks))


def _no_message(checks: Checks) -> bool:
    courier = _details(checks, "courier")
    return courier is not None and courier.get("newest") is None


def _already_verified(checks: Checks) -> bool:
    identity = _details(checks, "identity")
    address = identity.get("address") if identity else None
    return _no_message(checks) and bool(address and address.get("verified"))


def _sent(checks: Checks) -> bool:
    newest = _newest(checks)
    return bool(newest and newest["status"] == "sent")


_RULES: tuple[tuple[str, Callable[[Checks], bool]], ...] = (
    ("disposable_domain", _disposable),
    ("recipient_invalid", _recipient_invalid),
    ("no_identity", _no_identity),
    ("courier_stuck", _stuck),
    ("smtp_failure", lambda checks: _failing(checks) or _relay_refuses_courier_unknown(checks)),
    ("provider_suppressed", _suppressed),
    ("courier_pending", _pending),
    ("provider_bounced", lambda checks: _provider_outcome(checks) in BOUNCED_OUTCOMES),
    ("provider_deferred", lambda checks: _provider_outcome(checks) == "deferred"),
    ("already_verified", _already_verified),
    ("no_message", _no_message),
    ("delivered", lambda checks: _provider_outcome(checks) == "delivered"),
    ("sent", _sent),
)


def decide_verdict(checks: Checks) -> str:
    for verdict, matches in _RULES:
        if matches(checks):
            return smtp_failure_class(checks) if verdict == "smtp_failure" else verdict
    return UNKNOWN


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


def offered_actions(checks: Checks, verdict: str, *, flush_configured: bool) -> list[str]:
    """The §7 buttons for this report, in display order."""
    identity = _details(checks, "identity") or {}
    address = identity.get("address") or {}
    provider = _details(checks, "provider") or {}
    suppression = provider.get("suppression") or {}
    actions = []
    if verdict == "courier_stuck" and flush_configured:
        actions.append("flush")
    if identity.get("found") and address and not address.get("verified"):
        actions.append("resend_verification")
    if identity.get("found"):
        actions.append("resend_recovery")
    if verdict == "provider_suppressed" and suppression.get("removable"):
        actions.append("unsuppress")
    actions.append("rerun")
    return actions
