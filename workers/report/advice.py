"""The copy-ready "what to tell the user" text, specific to the verdict and the mailbox provider."""

from __future__ import annotations

from collections.abc import Mapping

from workers.report import details
from workers.report.model import CheckResult, Verdict
from workers.report.smtp_classify import SMTP_CLASSES

_SPAM_STEPS = (
    "Please check your spam or junk folder, and add our sender address to your contacts so future "
    "mail lands in your inbox."
)

_BY_VERDICT: Mapping[Verdict, str] = {
    Verdict.DISPOSABLE_DOMAIN: (
        "Your address uses a temporary (disposable) email service, which drops mail like ours. "
        "Please sign up again with a permanent email address."
    ),
    Verdict.RECIPIENT_INVALID: (
        "The email domain of your address cannot receive mail. Please check the address for typos, "
        "or use another email address."
    ),
    Verdict.NO_IDENTITY: (
        "We could not find an account with this email address. Please check the spelling, or sign "
        "up if you have not created an account yet."
    ),
    Verdict.COURIER_STUCK: (
        "We found a problem on our side that held back your email. We are fixing it now and will "
        "send it again shortly; no action is needed from you."
    ),
    Verdict.COURIER_PENDING: "Your email is on its way. Please allow a few minutes for it to arrive.",
    Verdict.PROVIDER_SUPPRESSED: (
        "Earlier mail to your address could not be delivered, so our mail system paused sending to "
        "it. We are lifting that block; please confirm the address is correct and can receive mail."
    ),
    Verdict.PROVIDER_BOUNCED: (
        "Your mail server refused our email. Please check that the address is correct and that your "
        "mailbox is not full, or use another email address."
    ),
    Verdict.PROVIDER_DEFERRED: (
        "Your mail server is delaying our email. It usually arrives within an hour; please check "
        "again later, including your spam folder."
    ),
    Verdict.ALREADY_VERIFIED: (
        "Your email address is already verified, so no verification email is needed. You can sign "
        "in; if you forgot your password, use 'Forgot password'."
    ),
    Verdict.NO_MESSAGE: (
        "We have no record of sending you an email recently. Please request it again from the app; "
        "if it still does not arrive, tell us and we will look again."
    ),
    Verdict.DELIVERED: "Our email was delivered to your mail server. " + _SPAM_STEPS,
    Verdict.SENT: "Our email was sent. Please wait a few minutes. " + _SPAM_STEPS,
}
_SMTP_PROBLEM = (
    "We had a problem sending email on our side. We are fixing it and will send your email again "
    "shortly; no action is needed from you."
)
_FALLBACK = "We are looking into why our email did not reach you and will get back to you shortly."

_MAILBOX_HINTS: Mapping[str, str] = {
    "google": " Gmail can hold new mail for a few minutes while it scans it; also look under the Promotions and Updates tabs.",
    "microsoft": (
        " Outlook sometimes opens links in mail to scan them, which can use up a one-time link; "
        "the code in the email still works, so type the code instead of clicking the link."
    ),
    "yahoo": " Yahoo Mail may take a few minutes; please also check the Spam folder.",
    "apple": " iCloud Mail may file it under Junk; please check there.",
    "proton": " Proton Mail may file it under Spam; please check there.",
}
_WAITING_VERDICTS = (Verdict.SENT, Verdict.DELIVERED, Verdict.COURIER_PENDING, Verdict.PROVIDER_DEFERRED)


def tell_user(verdict: Verdict, checks: Mapping[str, CheckResult]) -> str:
    if verdict in SMTP_CLASSES or verdict == Verdict.COURIER_FAILING:
        text = _SMTP_PROBLEM
    else:
        text = _BY_VERDICT.get(verdict, _FALLBACK)
    recipient = details.recipient(checks)
    mailbox = recipient.get("mailbox_provider") if recipient else None
    if verdict in _WAITING_VERDICTS and isinstance(mailbox, str):
        text += _MAILBOX_HINTS.get(mailbox, "")
    return text
