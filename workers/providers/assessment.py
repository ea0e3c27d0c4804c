"""Status, summary and findings of the provider check, as a pure function of its `details`.

Kept apart from the fetching so that correlating with the courier (which may change which message is
"newest") and cache hits produce exactly the same judgement as a fresh fetch. The sender domain's
verification and the 24-hour aggregate are judged by `domain_assessment` and `traffic_assessment`.
"""

from __future__ import annotations

from workers.providers.domain_assessment import domain_finding, domain_headline
from workers.providers.registry import ADAPTERS
from workers.providers.traffic_assessment import traffic_finding, traffic_headline
from workers.report.details_provider import ProviderDetails, ProviderMessage
from workers.report.model import CheckResult, Finding, Severity, Status
from workers.report.wording import reply_cause

# Outcome of the newest message → (finding code, severity, what happened in words).
_OUTCOME_FINDINGS: dict[str, tuple[str, Severity, str]] = {
    "bounced_hard": ("provider_bounce_hard", Severity.FAIL, "hard-bounced"),
    "bounced_soft": ("provider_bounce_soft", Severity.WARN, "soft-bounced"),
    "complained": ("provider_complaint", Severity.WARN, "was reported as spam by the recipient"),
    "suppressed": ("provider_suppressed", Severity.FAIL, "was not sent: the recipient is suppressed"),
    "deferred": ("provider_deferred", Severity.WARN, "is deferred (the receiving server said try later)"),
}
_OUTCOME_WORDS = {"delivered": "was delivered", "sent": "was accepted; no delivery report yet"}
_STATUS_OF = {Severity.FAIL: Status.FAIL, Severity.WARN: Status.WARN}


def assess(details: ProviderDetails) -> CheckResult:
    provider = details["provider"]
    label = ADAPTERS[provider].label if provider in ADAPTERS else provider
    findings = _findings(label, details)
    worst = max((f.severity for f in findings), key=_rank, default=Severity.INFO)
    parts = (
        _suppression_text(label, details),
        _newest_text(label, details),
        domain_headline(label, details.get("sender_domain")),
        traffic_headline(details.get("mailbox_provider")),
    )
    summary = "; ".join(part for part in parts if part)
    return CheckResult(_STATUS_OF.get(worst, Status.OK), summary, dict(details), tuple(findings))


def _rank(severity: Severity) -> int:
    return (Severity.INFO, Severity.WARN, Severity.FAIL).index(severity)


def _findings(label: str, details: ProviderDetails) -> list[Finding]:
    findings = []
    if details.get("suppression") is not None:
        findings.append(Finding("provider_suppressed", Severity.FAIL, _suppression_text(label, details)))
    newest = details.get("newest")
    entry = _OUTCOME_FINDINGS.get(newest["outcome"]) if newest else None
    if newest and entry and not any(f.code == entry[0] for f in findings):
        code, severity, words = entry
        text = _with_reply(f"{label}: the newest message {words}", newest)
        meaning = str(newest.get("meaning") or "") if newest.get("reply") else ""
        findings.append(Finding(code, severity, f"{text}. {meaning}" if meaning else text))
    extra = (
        domain_finding(label, details.get("sender_domain")),
        traffic_finding(details.get("mailbox_provider")),
    )
    return findings + [finding for finding in extra if finding is not None]


def _suppression_text(label: str, details: ProviderDetails) -> str:
    suppression = details.get("suppression")
    if suppression is None:
        return ""
    since_at = suppression.get("since")
    since = f" since {since_at[:10]}" if since_at else ""
    lift = "it can be lifted" if suppression["removable"] else f"{label} does not allow lifting it"
    return f"{label} suppresses this recipient ({suppression['reason']}{since}); {lift}"


def _newest_text(label: str, details: ProviderDetails) -> str:
    newest = details.get("newest")
    if newest is None:
        if details.get("correlated") and details.get("messages"):
            return f"{label} has no record of the newest message the courier sent"
        if details.get("messages"):
            return ""
        return (
            f"{label} has no message to this recipient in the last {details.get('lookback_days', '?')} days"
        )
    outcome = newest["outcome"]
    words = _OUTCOME_WORDS.get(outcome) or _OUTCOME_FINDINGS[outcome][2]
    when = newest["sent_at"][:16].replace("T", " ")
    return _with_reply(f"{label}: the newest message ({when} UTC) {words}", newest)


def _with_reply(text: str, message: ProviderMessage) -> str:
    """The reply, after what it blames (SPEC §15) so that a clipped line keeps the explanation."""
    if not message.get("reply"):
        return text
    cause = reply_cause(message)
    return f"{text} — {cause}: {message['reply']}" if cause else f"{text}: {message['reply']}"
