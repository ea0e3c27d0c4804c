"""The copy-ready "what to tell the user" text, specific to the verdict, the decisive SMTP reply and the
mailbox provider.

It is written for the END USER: no jargon, no code or link, and no address — only the user's own
domain and our sending domain are ever named. Where the verdict rests on an SMTP reply (SPEC §15), the
reply's explanation picks the text: a full mailbox, an address that does not exist, a closed mailbox, the
user's organisation filtering us, a cause on our side and a temporary delay are told apart. The decisive
reply is the provider's newest message reply for `provider_bounced` / `provider_deferred`, and the
courier's last dispatch error (else the probe's reply) for the SMTP classes. A reply the rules could
not classify keeps the verdict's generic text; a sender-side cause is never explained to the user (the
report's summaries point the support agent at the check that shows it).
"""

from __future__ import annotations

from collections.abc import Mapping

from workers.report import details, details_dns, details_provider
from workers.report.details import ReplyExplained
from workers.report.model import CheckResult, Verdict
from workers.report.smtp_classify import SMTP_CLASSES

_SPAM_STEPS = (
    "Please check your spam or junk folder, and add our sender address to your contacts so future "
    "mail lands in your inbox."
)
_DEFERRED = (
    "Your mail server is delaying our email. It usually arrives within an hour; please check "
    "again later, including your spam folder."
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
    Verdict.PROVIDER_DEFERRED: _DEFERRED,
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

# What the decisive reply says, for the user: (when the mail was refused, when it is being held back).
# `{domain}` is the user's own email domain, `{ours}` our sending domain.
_NO_SUCH_ADDRESS = (
    "The address does not exist at {domain} — please check the spelling of your email address, or give "
    "us another one.",
    "Mail to your address at {domain} is not being accepted right now. Please check the spelling of your "
    "email address; if it is correct, our email should arrive once your provider accepts it.",
)
_BY_RECIPIENT_CATEGORY: Mapping[str, tuple[str, str]] = {
    "mailbox_full": (
        "Your mailbox is full, so your email provider returned our email. Please free up some space (for "
        "example, empty your trash), then request a new email.",
        "Your mailbox is full, so your email provider is holding back our email. Please free up some space "
        "(for example, empty your trash); the email should then arrive by itself.",
    ),
    "invalid_recipient": _NO_SUCH_ADDRESS,
    "bad_domain": _NO_SUCH_ADDRESS,
    "inactive_mailbox": (
        "Your mailbox at {domain} appears to be disabled or closed. Please reactivate it with your email "
        "provider, or give us another email address.",
        "Your mailbox at {domain} is not accepting mail at the moment. Please check with your email "
        "provider that it is active, or give us another email address.",
    ),
    "rate_limited": (
        "Your mailbox is receiving more mail than your email provider allows right now, so our email was "
        "returned. Please wait an hour, then request a new email (once).",
        "Your mailbox is receiving more mail than your email provider allows right now, so our email is "
        "held back. Please wait; there is no need to request another one.",
    ),
}
_SENDER_SIDE = (
    "This is on our side, not yours: we are fixing it, and there is no need for you to do anything. We "
    "will let you know once it is fixed."
)
_ORGANISATION = (
    "Your organisation's mail system is blocking our email. Please ask your IT team to allow mail from "
    "{ours}."
)
_BY_SIDE: Mapping[str, tuple[str, str]] = {
    "recipient_org": (_ORGANISATION, _ORGANISATION),
    "sender": (_SENDER_SIDE, _SENDER_SIDE),
    "transient": (
        "Your email provider had a temporary problem and returned our email. Please request a new email "
        "in a little while.",
        _DEFERRED,
    ),
}

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
_RELAY_VERDICTS = frozenset({*SMTP_CLASSES, Verdict.COURIER_FAILING})
_PROVIDER_VERDICTS = frozenset({Verdict.PROVIDER_BOUNCED, Verdict.PROVIDER_DEFERRED})


def _address_text(verdict: Verdict, checks: Mapping[str, CheckResult]) -> str | None:
    """SPEC §14: the user is asked to check the address they signed up with, and told the suggested
    domain when the one they gave is a likely typo; never a look-alike identity's address (that would
    tell a stranger another account exists)."""
    recipient = details_dns.recipient(checks)
    typo_of = recipient.get("typo_of") if recipient else None
    domain = recipient.get("domain") if recipient else None
    if verdict == Verdict.ADDRESS_MISMATCH:
        identity = details.identity(checks)
        if identity and identity["found"] and typo_of:
            return (
                f"The address on your account ends in @{domain}, which looks like a mistyped @{typo_of} "
                f"address, so our email went there and not to you. Please tell us your correct address "
                f"so we can fix it, or sign up again with your address at {typo_of}."
            )
        hint = f" — for example, whether it ends in @{typo_of} rather than @{domain}" if typo_of else ""
        return (
            "We could not find an account with exactly this email address, but we may know a very "
            f"similar one. Please check the address you signed up with{hint}, and send it to us."
        )
    if verdict in (Verdict.NO_IDENTITY, Verdict.RECIPIENT_INVALID) and typo_of:
        said = _BY_VERDICT[verdict]
        return f"{said} Did you mean an address at {typo_of}?"
    return None


def tell_user(verdict: Verdict, checks: Mapping[str, CheckResult]) -> str:
    if (address := _address_text(verdict, checks)) is not None:
        return address
    explained = decisive_reply(verdict, checks)
    text = _for_reply(verdict, explained, checks) if explained else None
    if text is None:
        text = _SMTP_PROBLEM if verdict in _RELAY_VERDICTS else _BY_VERDICT.get(verdict, _FALLBACK)
    waiting = explained is None or explained.get("side") in ("transient", "unknown", None)
    recipient = details_dns.recipient(checks)
    mailbox = recipient.get("mailbox_provider") if recipient else None
    if verdict in _WAITING_VERDICTS and waiting and isinstance(mailbox, str):
        text += _MAILBOX_HINTS.get(mailbox, "")
    return text


def decisive_reply(verdict: Verdict, checks: Mapping[str, CheckResult]) -> ReplyExplained | None:
    """The explained reply (its SPEC §15 keys) the verdict rests on, or None: the provider's newest
    message for a bounce or deferral; the courier's last dispatch error, else the probe's reply, for
    the SMTP classes."""
    if verdict in _PROVIDER_VERDICTS:
        provider = details_provider.provider(checks)
        newest = provider.get("newest") if provider else None
        return newest if newest and newest.get("reply") and newest.get("category") else None
    if verdict in _RELAY_VERDICTS:
        courier = details.courier(checks)
        if courier and courier.get("last_error"):
            return courier if courier.get("category") else None
        probe = details.smtp(checks)
        return probe if probe and probe.get("reply") and probe.get("category") else None
    return None


def _for_reply(verdict: Verdict, explained: ReplyExplained, checks: Mapping[str, CheckResult]) -> str | None:
    category, side = str(explained.get("category")), str(explained.get("side"))
    if category == "unclassified":
        return None
    if side == "recipient":
        texts = _BY_RECIPIENT_CATEGORY.get(category)
    elif side == "transient" and verdict in _RELAY_VERDICTS:
        texts = None  # our relay's temporary trouble: the SMTP classes' own text says it
    else:
        texts = _BY_SIDE.get(side)
    if texts is None:
        return None
    text = texts[1] if verdict == Verdict.PROVIDER_DEFERRED else texts[0]
    return text.format(domain=_recipient_domain(checks), ours=_our_domain(checks))


def _recipient_domain(checks: Mapping[str, CheckResult]) -> str:
    """The user's own email domain (from the recipient check, whatever its status)."""
    result = checks.get("recipient")
    domain = result.details.get("domain") if result is not None else None
    return domain if isinstance(domain, str) and domain else "your email provider"


def _our_domain(checks: Mapping[str, CheckResult]) -> str:
    """Our sending domain: the From domain as sender_auth, the provider or the probe saw it."""
    sender_auth, provider, smtp = (checks.get(name) for name in ("sender_auth", "provider", "smtp"))
    found = [
        sender_auth.details.get("from_domain") if sender_auth else None,
        (provider.details.get("sender_domain") or {}).get("domain") if provider else None,
        str(smtp.details.get("mail_from") or "").rpartition("@")[2] if smtp else None,
    ]
    return next((domain for domain in found if isinstance(domain, str) and domain), "our sending domain")
