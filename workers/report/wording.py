"""How the report names its verdicts and checks to people: one wording for Slack and the terminal."""

from __future__ import annotations

from workers.report.details import ReplyExplained
from workers.report.model import Report, State, Verdict

HEADLINES: dict[Verdict, str] = {
    Verdict.DISPOSABLE_DOMAIN: "Disposable email domain",
    Verdict.RECIPIENT_INVALID: "The recipient domain cannot receive mail",
    Verdict.ADDRESS_MISMATCH: "Probably not the user's address (a typo or a look-alike account)",
    Verdict.NO_IDENTITY: "No account has this address",
    Verdict.COURIER_STUCK: "Kratos's courier is stuck",
    Verdict.SMTP_AUTH_FAILED: "The SMTP relay refuses our credentials",
    Verdict.SMTP_UNREACHABLE: "The SMTP relay cannot be reached",
    Verdict.SMTP_TLS_FAILED: "TLS with the SMTP relay fails",
    Verdict.SMTP_REJECTED: "The SMTP relay rejects the message",
    Verdict.COURIER_FAILING: "The courier fails to send",
    Verdict.PROVIDER_SUPPRESSED: "The provider suppresses this recipient",
    Verdict.COURIER_PENDING: "The email is on its way",
    Verdict.PROVIDER_BOUNCED: "The recipient's server bounced the email",
    Verdict.PROVIDER_DEFERRED: "The recipient's server is deferring the email",
    Verdict.ALREADY_VERIFIED: "Already verified: nothing to send",
    Verdict.NO_MESSAGE: "No email was sent to this address recently",
    Verdict.DELIVERED: "Delivered (look in spam or filters)",
    Verdict.SENT: "Sent by the courier",
    Verdict.UNKNOWN: "Could not determine what happened",
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


def verdict_headline(name: str) -> str:
    """The headline of a verdict stored as text (history, alerts); an unknown name is shown as it is."""
    try:
        return HEADLINES[Verdict(name)]
    except ValueError:
        return name


def headline(report: Report) -> str:
    if report.state == State.RUNNING:
        return f"Checking {report.email}…"
    if report.state == State.FAILED:
        return f"Check of {report.email} failed"
    return HEADLINES[report.verdict] if report.verdict else ""


# The SMTP probe's phases, as a sentence names them ("failed at RCPT TO").
SMTP_PHASE_TEXT = {
    "resolve": "looking up the relay",
    "connect": "connecting",
    "tls": "the TLS handshake",
    "banner": "the greeting",
    "ehlo": "EHLO",
    "starttls": "STARTTLS",
    "ehlo_tls": "EHLO after STARTTLS",
    "auth": "AUTH",
    "mail_from": "MAIL FROM",
    "rcpt_to": "RCPT TO",
}


# What an explained SMTP reply (SPEC §15, `workers/report/replies.py`) blames, as a summary says it.
REPLY_CAUSES = {
    "invalid_recipient": "the address does not exist",
    "inactive_mailbox": "the mailbox is disabled or closed",
    "mailbox_full": "the mailbox is full",
    "bad_domain": "the recipient's domain cannot receive mail",
    "reputation": "our sending reputation",
    "authentication": "our SPF/DKIM/DMARC authentication",
    "rate_limited": "rate limiting",
    "content": "the email's content",
    "policy": "the recipient's organisation filters our mail",
    "relay_denied": "the server will not relay for us",
    "sender_config": "our sending configuration",
    "transient": "a temporary problem",
}
REPLY_SIDES = {"recipient": "the user's side", "recipient_org": "the user's IT", "sender": "our side"}
# The check that shows a sender-side cause: where the support agent looks next (SPEC §15).
SENDER_CAUSE_CHECKS = {"authentication": "sender_auth", "reputation": "blocklists"}


def reply_cause(explained: ReplyExplained) -> str:
    """'the mailbox is full (the user's side)', 'our SPF/DKIM/DMARC authentication (our side: see the
    sender_auth check)'; "" for a reply that is not explained or could not be classified."""
    cause = REPLY_CAUSES.get(str(explained.get("category") or ""))
    if cause is None:
        return ""
    side = str(explained.get("side") or "")
    check = SENDER_CAUSE_CHECKS.get(str(explained["category"])) if side == "sender" else None
    if check is not None:
        return f"{cause} ({REPLY_SIDES[side]}: see the {check} check)"
    return f"{cause} ({REPLY_SIDES[side]})" if side in REPLY_SIDES else cause
