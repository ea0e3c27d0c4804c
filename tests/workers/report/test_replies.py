"""SPEC §15 "Every SMTP reply in a report is explained": the reply classifier against real replies.

The corpus (reply_corpus.yaml, next to this file) holds replies as Gmail, Microsoft, Yahoo, Apple, GMX,
Yandex, Mail.ru, Zoho and Proton send them and the default texts of Postfix, Exim and other servers, each
with its source and the category, side and mailbox provider the classifier must give it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from workers.report import mailboxes
from workers.report import reply_meanings as meanings
from workers.report import reply_meanings_sender as sender_meanings
from workers.report.replies import TEXT_RULES, Category, Side, explain_reply, parse_reply_codes
from workers.report.reply_meanings import Outcome
from workers.report.reply_rules import CLASS_RULES, CODE_RULES, PROVIDER_MARKERS

# SPEC §15, word for word.
SPEC_CATEGORIES = (
    "invalid_recipient",
    "inactive_mailbox",
    "mailbox_full",
    "bad_domain",
    "reputation",
    "authentication",
    "rate_limited",
    "content",
    "policy",
    "relay_denied",
    "sender_config",
    "transient",
    "unclassified",
)
SPEC_SIDES = ("recipient", "recipient_org", "sender", "transient", "unknown")
PROVIDER_KEYS = {
    value.key for value in vars(mailboxes).values() if isinstance(value, mailboxes.MailboxProvider)
}


@dataclass(frozen=True)
class Sample:
    id: str
    source: str
    text: str
    category: str
    side: str
    provider: str
    given: str | None = None  # the caller's mailbox_provider, from the recipient's MX


CORPUS_FILE: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "reply_corpus.yaml").read_text())
SOURCES: dict[str, str] = CORPUS_FILE["sources"]
CORPUS = tuple(Sample(**row) for row in CORPUS_FILE["replies"])

OUTCOMES: dict[str, Outcome] = {
    name: value
    for module in (meanings, sender_meanings)
    for name, value in vars(module).items()
    if isinstance(value, Outcome)
}


def one_sentence(text: str) -> bool:
    return text.endswith(".") and "\n" not in text and re.search(r"[.;!?]\s+[A-Z]", text) is None


# --- the corpus ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", CORPUS, ids=lambda sample: sample.id)
def test_a_real_reply_is_explained(sample: Sample) -> None:
    explained = explain_reply(sample.text, mailbox_provider=sample.given)
    assert (explained.category, explained.side, explained.mailbox_provider) == (
        sample.category,
        sample.side,
        sample.provider,
    )
    assert one_sentence(explained.meaning), explained.meaning


def test_the_corpus_is_large_and_covers_every_mailbox_provider() -> None:
    assert len(CORPUS) >= 90
    providers = {sample.provider for sample in CORPUS}
    assert {
        "google",
        "microsoft",
        "yahoo",
        "apple",
        "gmx",
        "yandex",
        "mailru",
        "zoho",
        "proton",
        "",
    } <= providers
    assert len({sample.category for sample in CORPUS}) == len(SPEC_CATEGORIES)


def test_the_corpus_uses_only_spec_words_and_named_sources() -> None:
    for sample in CORPUS:
        assert sample.category in SPEC_CATEGORIES, sample.id
        assert sample.side in SPEC_SIDES, sample.id
        assert sample.provider in PROVIDER_KEYS | {""}, sample.id
        assert sample.given in PROVIDER_KEYS | {None}, sample.id
        assert sample.source in SOURCES, sample.id


def test_no_two_corpus_rows_are_duplicates() -> None:
    assert len({sample.id for sample in CORPUS}) == len(CORPUS)
    assert len({(sample.text, sample.given) for sample in CORPUS}) == len(CORPUS)


# --- the tables ------------------------------------------------------------------------------------------


def test_the_vocabulary_is_the_specs() -> None:
    assert [category.value for category in Category] == list(SPEC_CATEGORIES)
    assert [side.value for side in Side] == list(SPEC_SIDES)


def test_every_rule_names_spec_words_and_a_known_provider() -> None:
    outcomes = [rule.outcome for rule in TEXT_RULES] + [rule.outcome for rule in CODE_RULES]
    outcomes += [outcome for _, outcome in CLASS_RULES]
    assert {outcome.category.value for outcome in outcomes} <= set(SPEC_CATEGORIES)
    assert {outcome.side.value for outcome in outcomes} <= set(SPEC_SIDES)
    assert {rule.provider for rule in TEXT_RULES} <= PROVIDER_KEYS | {""}
    assert {provider for _, provider in PROVIDER_MARKERS} <= PROVIDER_KEYS


def test_no_two_rule_rows_are_duplicates() -> None:
    rows = [(rule.provider, rule.basic, rule.enhanced, rule.fragment.lower()) for rule in TEXT_RULES]
    assert len(set(rows)) == len(rows)
    specs = [rule.enhanced for rule in CODE_RULES]
    assert len(set(specs)) == len(specs)


ENHANCED_PATTERN = re.compile(r"(x|[245])\.(\*|\d{1,3})\.(\*|\d{1,3}(-\d{1,3})?)")


def test_every_rule_pattern_is_well_formed() -> None:
    for rule in TEXT_RULES:
        assert re.compile(rule.fragment, re.I).search("") is None, rule.fragment  # never matches everything
        assert rule.basic is None or re.fullmatch(rule.basic, "550") or re.fullmatch(rule.basic, "450")
    specs = [rule.enhanced for rule in TEXT_RULES if rule.enhanced] + [rule.enhanced for rule in CODE_RULES]
    for spec in specs:
        assert all(ENHANCED_PATTERN.fullmatch(part.strip()) for part in spec.split(",")), spec


def test_every_meaning_is_one_sentence_with_what_to_do() -> None:
    for name, outcome in OUTCOMES.items():
        for meaning in filter(None, (outcome.meaning, outcome.deferred_meaning)):
            assert one_sentence(meaning), name
            assert len(meaning) <= 200, name


def test_every_outcome_is_used_by_a_rule() -> None:
    used = {id(rule.outcome) for rule in TEXT_RULES} | {id(rule.outcome) for rule in CODE_RULES}
    used |= {id(outcome) for _, outcome in CLASS_RULES} | {id(meanings.UNCLASSIFIED), id(meanings.ACCEPTED)}
    assert sorted(name for name, outcome in OUTCOMES.items() if id(outcome) not in used) == []


# --- how a reply is read ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   \n ",
        "hello world",
        "550 Go away",
        "554 Transaction failed",
        "Dial failed: 550",
        "EOF",
        "dial tcp 203.0.113.7:587: connect: connection refused",
        "550 <user@gmx.de>: Syntax error in parameters or arguments",
    ],
    ids=repr,
)
def test_an_unknown_reply_is_unclassified_never_guessed(text: str | None) -> None:
    explained = explain_reply(text)
    assert (explained.category, explained.side) == ("unclassified", "unknown")
    assert "could not be classified" in explained.meaning


def test_the_callers_mailbox_provider_wins_over_the_text() -> None:
    text = "550-5.1.1 The email account that you tried to reach does not exist. - gsmtp"
    assert explain_reply(text).mailbox_provider == "google"
    assert explain_reply(text, mailbox_provider="mimecast").mailbox_provider == "mimecast"
    assert explain_reply(text, mailbox_provider=" Google ").mailbox_provider == "google"
    assert explain_reply(None, mailbox_provider="yahoo").mailbox_provider == "yahoo"


def test_a_providers_reading_applies_to_that_providers_replies_only() -> None:
    rbl = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
    assert "24 hours" not in explain_reply(rbl).meaning
    assert "24 hours" in explain_reply(rbl, mailbox_provider="yandex").meaning
    cs01 = "550 5.7.1 [CS01] Message rejected due to local policy."
    assert explain_reply(cs01).category == "reputation"  # [CS01] names iCloud
    assert explain_reply(cs01, mailbox_provider="google").category == "unclassified"


@pytest.mark.parametrize(
    ("text", "basic", "enhanced"),
    [
        ("550 5.1.1 <user@example.com>: Recipient address rejected", "550", "5.1.1"),
        ("550-5.1.1 multi\n550 5.1.1 line", "550", "5.1.1"),
        ("250 2.1.0 Sender ok\n550 5.1.1 <user@example.com>... User unknown", "550", "5.1.1"),
        ("smtp; 550 5.1.1 <user@example.com>... User unknown", "550", "5.1.1"),
        ("Dial failed: 550 5.7.1 <user@example.com>: Recipient address rejected", "550", "5.7.1"),
        ("gomail: could not send email 1: 550 spam message rejected", "550", None),
        (
            "554-gmx.net (mxgmx104) Nemesis ESMTP\n554-No SMTP service\n554 For explanation visit x",
            "554",
            None,
        ),
        ("421 5.7.32 Your email was blocked", "421", "5.7.32"),
        ("550 #5.1.0 Address rejected user@example.co.uk", "550", "5.1.0"),
        ("554 Sorry, no mailbox here by that name. (#5.1.1)", "554", "5.1.1"),
        ("554 30 Sorry, your message cannot be delivered. This mailbox is disabled (554.30).", "554", None),
        ("host mx.zoho.com[136.143.183.44] said: 541 5.4.1 Mail rejected", "541", "5.4.1"),
        ("421 4.7.0 [TSS04] Messages from 192.0.2.25 deferred - 4.16.55.1; see https://x", "421", "4.7.0"),
        ("550 5.7.25 Access denied, the sending IPv6 address [2a01:111:f400:7e1b::1] must", "550", "5.7.25"),
        ("Status: 5.0.0\nDiagnostic-Code: smtp; 550 Unrouteable address", "550", "5.0.0"),
        ("host mx.example.com [192.0.2.1]: 550 Unrouteable address (Exim 4.92.3)", "550", None),
        ("Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", None, "4.4.1"),
        ("dial tcp 203.0.113.7:587: connect: connection refused", None, None),
        ("delays=1200/0/0.91/0.30, dsn=4.7.1 (host said: 451 4.7.1 Greylisted)", "451", "4.7.1"),
    ],
)
def test_the_codes_are_read_from_odd_forms(text: str, basic: str | None, enhanced: str | None) -> None:
    codes = parse_reply_codes(text)
    assert (codes.basic, codes.enhanced) == (basic, enhanced)
    explained = explain_reply(text)
    assert (explained.basic_code, explained.enhanced_code) == (basic, enhanced)


def test_a_deferred_full_mailbox_is_still_a_full_mailbox_but_told_as_temporary() -> None:
    deferred = explain_reply("452 4.2.2 The recipient's inbox is out of storage space. - gsmtp")
    returned = explain_reply("552 5.2.2 <user@example.com> Quota exceeded (mailbox for user is full)")
    assert (deferred.category, deferred.side, deferred.temporary) == ("mailbox_full", "recipient", True)
    assert (returned.category, returned.side, returned.temporary) == ("mailbox_full", "recipient", False)
    assert "retries" in deferred.meaning
    assert "returned" in returned.meaning


def test_the_enhanced_code_says_what_and_the_basic_code_whether_it_is_retried() -> None:
    text = (
        "421 5.7.32 Your email was blocked because the From: header (RFC5322) in this message isn't aligned "
    )
    text += "with either the authenticated SPF or DKIM organizational domain. - gsmtp"
    explained = explain_reply(text)
    assert (explained.category, explained.temporary) == ("authentication", True)
    unknown_deferral = explain_reply("451 4.7.1 Please hold on")
    assert (unknown_deferral.category, unknown_deferral.temporary) == ("unclassified", True)
    assert "retried" in unknown_deferral.meaning


@pytest.mark.parametrize(
    ("text", "given", "category"),
    [
        ("550 5.7.1 Message refused", None, "unclassified"),
        ("550 5.7.1 No such user!", "yandex", "invalid_recipient"),
        (
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org",
            None,
            "reputation",
        ),
        ("550 5.7.1 Relay access denied", None, "relay_denied"),
        ("550 5.7.1 Message rejected as spam by Content Filtering.", None, "content"),
        ("550 5.7.1 Email rejected per DMARC policy for example.com", None, "authentication"),
    ],
)
def test_x71_is_read_from_the_text_not_taken_for_authentication(
    text: str, given: str | None, category: str
) -> None:
    assert explain_reply(text, mailbox_provider=given).category == category


def test_a_code_the_reply_lacks_never_disagrees() -> None:
    explained = explain_reply("The email account that you tried to reach does not exist. - gsmtp")
    assert (explained.category, explained.basic_code, explained.enhanced_code) == (
        "invalid_recipient",
        None,
        None,
    )


def test_a_success_reply_is_no_failure() -> None:
    explained = explain_reply("250 2.0.0 Ok: queued as 4LTRMf3Klkz9vNp1 (spam score 0.1)")
    assert (explained.category, explained.side) == ("unclassified", "unknown")
    assert "accepted" in explained.meaning


def test_the_provider_is_recognised_from_hosts_before_quoted_addresses() -> None:
    outlook = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient user@gmail.com not found by SMTP address "
    outlook += "lookup [BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]"
    assert explain_reply(outlook).mailbox_provider == "microsoft"
    assert explain_reply("550 5.1.1 <user@icloud.com>: user does not exist").mailbox_provider == "apple"
    assert explain_reply("550 5.1.1 <user@example.com>: User unknown").mailbox_provider == ""


def test_the_details_hold_the_four_spec_keys_beside_the_reply() -> None:
    text = "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in local recipient table"
    details = {"reply": text, **explain_reply(text).to_details()}
    assert details == {
        "reply": text,
        "category": "invalid_recipient",
        "side": "recipient",
        "mailbox_provider": "",
        "meaning": details["meaning"],
    }
    assert json.loads(json.dumps(details)) == details
    assert all(type(value) is str for value in details.values())
