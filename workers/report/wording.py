"""How the report names its verdicts and checks to people: one wording for Slack and the terminal."""

from __future__ import annotations

from workers.report.model import Report, State

HEADLINES = {
    "disposable_domain": "Disposable email domain",
    "recipient_invalid": "The recipient domain cannot receive mail",
    "no_identity": "No account has this address",
    "courier_stuck": "Kratos's courier is stuck",
    "smtp_auth_failed": "The SMTP relay refuses our credentials",
    "smtp_unreachable": "The SMTP relay cannot be reached",
    "smtp_tls_failed": "TLS with the SMTP relay fails",
    "smtp_rejected": "The SMTP relay rejects the message",
    "courier_failing": "The courier fails to send",
    "provider_suppressed": "The provider suppresses this recipient",
    "courier_pending": "The email is on its way",
    "provider_bounced": "The recipient's server bounced the email",
    "provider_deferred": "The recipient's server is deferring the email",
    "already_verified": "Already verified: nothing to send",
    "no_message": "No email was sent to this address recently",
    "delivered": "Delivered (look in spam or filters)",
    "sent": "Sent by the courier",
    "unknown": "Could not determine what happened",
}

CHECK_LABELS = {
    "identity": "Identity",
    "courier": "Courier",
    "smtp": "SMTP relay",
    "sender_auth": "SPF / DKIM / DMARC",
    "blocklists": "Blocklists",
    "recipient": "Recipient domain",
    "provider": "Mail provider",
}


def headline(report: Report) -> str:
    if report.state == State.RUNNING:
        return f"Checking {report.email}…"
    if report.state == State.FAILED:
        return f"Check of {report.email} failed"
    return HEADLINES.get(report.verdict, report.verdict)
