"""What to tell the user (SPEC §15): the decisive reply's explanation picks the text; the user never
gets jargon, a code, a link or an address, and an unclassified reply keeps the verdict's generic text."""

from __future__ import annotations

import re
from typing import Any

import pytest

from workers.report.advice import decisive_reply, tell_user
from workers.report.model import CHECK_NAMES, CheckResult, Status, Verdict
from workers.report.relay_replies import RELAY_UNPLACED, explain_relay_reply, relay_reply_details
from workers.report.replies import explain_reply

FULL = "552 5.2.2 The email account that you tried to reach is over quota. https://support.google.com/mail/?p=OverQuotaPerm gsmtp"
UNKNOWN_USER = "550 5.1.1 The email account that you tried to reach does not exist. gsmtp"
DMARC = (
    "550 5.7.26 Unauthenticated email from acme.test is not accepted due to domain's DMARC policy. "
    "Please contact the administrator of acme.test domain. https://support.google.com/mail/answer/2451690 gsmtp"
)
DISABLED = "550 5.2.1 The email account that you tried to reach is disabled. gsmtp"
ORG_POLICY = "550 5.7.1 This message violates example.com email policy. - gcdp a1si123.45 - gsmtp"
RATE = "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation."
GREYLISTED = (
    "450 4.2.0 <ann@corp.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/"
)
ODD = "550 we do not like the look of this"


def _checks(**given: CheckResult) -> dict[str, CheckResult]:
    checks = {name: CheckResult.skipped("") for name in CHECK_NAMES}
    checks["recipient"] = CheckResult(Status.OK, "", {"domain": "gmail.com", "mailbox_provider": "google"})
    checks["sender_auth"] = CheckResult(Status.OK, "", {"from_domain": "acme.test"})
    checks.update(given)
    return checks


def _provider(reply: str, outcome: str) -> CheckResult:
    newest = {"outcome": outcome, "reply": reply, **explain_reply(reply).to_details()}
    return CheckResult(Status.FAIL, "", {"newest": newest, "decisive": reply, "suppressed": False})


def _courier(error: str) -> CheckResult:
    details: dict[str, Any] = {"newest": {"status": "abandoned"}, "last_error": error}
    return CheckResult(Status.FAIL, "", {**details, **relay_reply_details(error)})


def _bounced(reply: str) -> str:
    return tell_user(Verdict.PROVIDER_BOUNCED, _checks(provider=_provider(reply, "bounced_hard")))


def _deferred(reply: str) -> str:
    return tell_user(Verdict.PROVIDER_DEFERRED, _checks(provider=_provider(reply, "deferred")))


def test_a_full_mailbox_says_so_and_asks_to_free_space() -> None:
    bounced, deferred = _bounced(FULL), _deferred("452 4.2.2 The email account is over quota. gsmtp")
    assert bounced.startswith("Your mailbox is full, so your email provider returned our email.")
    assert "request a new email" in bounced
    assert deferred.startswith("Your mailbox is full, so your email provider is holding back our email.")
    assert "arrive by itself" in deferred


def test_an_address_that_does_not_exist_names_the_users_own_domain() -> None:
    assert _bounced(UNKNOWN_USER).startswith(
        "The address does not exist at gmail.com — please check the spelling of your email address"
    )


def test_a_closed_mailbox_and_an_organisation_filter_are_told_apart() -> None:
    assert _bounced(DISABLED).startswith("Your mailbox at gmail.com appears to be disabled or closed.")
    org = _bounced(ORG_POLICY)
    assert org == (
        "Your organisation's mail system is blocking our email. Please ask your IT team to allow mail "
        "from acme.test."
    )


@pytest.mark.parametrize("reply", [DMARC, RATE])
def test_a_sender_side_cause_tells_the_user_it_is_ours_and_nothing_more(reply: str) -> None:
    text = _bounced(reply) if reply.startswith("5") else _deferred(reply)
    assert text.startswith("This is on our side, not yours: we are fixing it, and there is no need for you")
    assert "sender_auth" not in text and "DMARC" not in text and "blocklist" not in text


def test_a_temporary_deferral_keeps_the_waiting_text_and_the_mailbox_hint() -> None:
    text = _deferred(GREYLISTED)
    assert text.startswith("Your mail server is delaying our email. It usually arrives within an hour")
    assert "Promotions" in text  # the Gmail hint of a waiting verdict


def test_an_unclassified_reply_keeps_the_generic_text() -> None:
    generic = tell_user(Verdict.PROVIDER_BOUNCED, _checks())  # no provider data at all
    assert _bounced(ODD) == generic
    assert generic.startswith("Your mail server refused our email.")


def test_the_smtp_classes_read_the_courier_dispatch_error() -> None:
    unknown = _checks(courier=_courier("550 5.1.1 <ann@gmail.com>: Recipient address rejected: User unknown"))
    login = _checks(courier=_courier("535 5.7.8 Authentication credentials invalid"))
    dial = _checks(courier=_courier("dial tcp 127.0.0.1:25: connect: connection refused"))
    assert tell_user(Verdict.SMTP_REJECTED, unknown).startswith("The address does not exist at gmail.com")
    assert tell_user(Verdict.SMTP_AUTH_FAILED, login).startswith("This is on our side, not yours")
    assert tell_user(Verdict.SMTP_UNREACHABLE, dial).startswith("We had a problem sending email on our side.")


def test_without_dispatch_text_the_probes_reply_decides() -> None:
    probe = CheckResult(
        Status.FAIL,
        "",
        {
            "reply": "550 5.1.1 No such user",
            "mail_from": "noreply@acme.test",
            **relay_reply_details("550 5.1.1 No such user"),
        },
    )
    checks = _checks(courier=CheckResult.error("Kratos down"), smtp=probe)
    assert decisive_reply(Verdict.SMTP_REJECTED, checks) is probe.details
    assert tell_user(Verdict.SMTP_REJECTED, checks).startswith("The address does not exist at gmail.com")


def test_our_domain_comes_from_the_probe_when_sender_auth_did_not_run() -> None:
    probe = CheckResult(Status.OK, "", {"mail_from": "no-reply@mail.acme.test"})
    checks = _checks(provider=_provider(ORG_POLICY, "bounced_hard"), smtp=probe)
    checks["sender_auth"] = CheckResult.skipped("")
    assert tell_user(Verdict.PROVIDER_BOUNCED, checks).endswith("allow mail from mail.acme.test.")


@pytest.mark.parametrize("reply", [FULL, UNKNOWN_USER, DMARC, DISABLED, ORG_POLICY, RATE, GREYLISTED, ODD])
def test_the_user_never_gets_a_code_a_link_or_an_address(reply: str) -> None:
    for text in (_bounced(reply), _deferred(reply)):
        assert not re.search(r"\b[245]\d\d\b|\b[245]\.\d\.\d+\b|https?://|@", text), text
        assert "gsmtp" not in text and "ann" not in text


def test_a_relay_reply_never_names_a_mailbox_provider_and_what_it_cannot_place_is_ours() -> None:
    quoted = explain_relay_reply("550 5.1.1 <ann@gmail.com>: Recipient address rejected: User unknown")
    assert (quoted.category.value, quoted.side.value, quoted.mailbox_provider) == (
        "invalid_recipient",
        "recipient",
        "",
    )
    assert (
        explain_reply("550 5.1.1 <ann@gmail.com>: User unknown").mailbox_provider == "google"
    )  # a receiver's
    dial = explain_relay_reply("Dial failed: dial tcp 10.0.0.5:587: i/o timeout")
    assert (dial.category.value, dial.side.value, dial.meaning) == ("unclassified", "sender", RELAY_UNPLACED)
    assert relay_reply_details("") == {} and relay_reply_details(None) == {}
