"""The typo table (SPEC §14): real typos, real providers that look alike, and other people's domains."""

from __future__ import annotations

import pytest

from workers.report.mailboxes import CONSUMER_DOMAINS
from workers.report.typo_domains import (
    PROVIDER_DOMAINS,
    SECOND_LEVEL_NAMES,
    TLD_TYPOS,
    TOP_LEVEL_DOMAINS,
    WELL_KNOWN_DOMAINS,
)
from workers.report.typos import osa_distance, sift3, split_domain, suggest_address, suggest_domain

TYPO = "typo"  # a real typo: expected is the suggestion, or None for a miss we accept (see typos.py)
PROVIDER = "provider"  # a real mailbox domain: never a suggestion
OTHER = "other"  # somebody's own domain: never a suggestion

ROWS: tuple[tuple[str, str | None, str], ...] = (
    # Gmail
    ("gmial.com", "gmail.com", TYPO),
    ("gmai.com", "gmail.com", TYPO),
    ("gamil.com", "gmail.com", TYPO),
    ("gnail.com", "gmail.com", TYPO),
    ("gmaill.com", "gmail.com", TYPO),
    ("gmil.com", "gmail.com", TYPO),
    ("gmal.com", "gmail.com", TYPO),
    ("gmaii.com", "gmail.com", TYPO),
    ("gmail.co", "gmail.com", TYPO),
    ("gmail.con", "gmail.com", TYPO),
    ("gmail.cm", "gmail.com", TYPO),
    ("gmail.cmo", "gmail.com", TYPO),
    ("gmail.ocm", "gmail.com", TYPO),
    ("gmail.comm", "gmail.com", TYPO),
    ("gmail.cpm", "gmail.com", TYPO),
    ("gmail.vom", "gmail.com", TYPO),
    ("gmail.xom", "gmail.com", TYPO),
    ("gmail.om", "gmail.com", TYPO),
    ("gmailcom", "gmail.com", TYPO),
    ("googlemial.com", "googlemail.com", TYPO),
    ("googlmail.com", "googlemail.com", TYPO),
    ("googlemail.con", "googlemail.com", TYPO),
    # Microsoft
    ("hotmial.com", "hotmail.com", TYPO),
    ("hotmai.com", "hotmail.com", TYPO),
    ("hotmal.com", "hotmail.com", TYPO),
    ("hotmil.com", "hotmail.com", TYPO),
    ("hotmaill.com", "hotmail.com", TYPO),
    ("hotamil.com", "hotmail.com", TYPO),
    ("hotmail.con", "hotmail.com", TYPO),
    ("hotmail.co", "hotmail.com", TYPO),
    ("hotmail.cm", "hotmail.com", TYPO),
    ("hotmial.con", "hotmail.com", TYPO),
    ("hotmail.co.ul", "hotmail.co.uk", TYPO),
    ("hotmail.couk", "hotmail.co.uk", TYPO),
    ("hotmial.co.uk", "hotmail.co.uk", TYPO),
    ("hotmail.frr", "hotmail.fr", TYPO),
    ("hotmial.fr", "hotmail.fr", TYPO),
    ("outlok.com", "outlook.com", TYPO),
    ("outloo.com", "outlook.com", TYPO),
    ("outllok.com", "outlook.com", TYPO),
    ("outlookk.com", "outlook.com", TYPO),
    ("oulook.com", "outlook.com", TYPO),
    ("outlook.con", "outlook.com", TYPO),
    ("outlook.co", "outlook.com", TYPO),
    ("outlok.de", "outlook.de", TYPO),
    ("live.con", "live.com", TYPO),
    ("live.co", "live.com", TYPO),
    # Yahoo / AOL
    ("yaho.com", "yahoo.com", TYPO),
    ("yahooo.com", "yahoo.com", TYPO),
    ("yhoo.com", "yahoo.com", TYPO),
    ("yaoo.com", "yahoo.com", TYPO),
    ("yahho.com", "yahoo.com", TYPO),
    ("yahoo.con", "yahoo.com", TYPO),
    ("yahoo.cm", "yahoo.com", TYPO),  # mailcheck 1.1.2 says yahoo.ca, zootools yahoo.co
    ("yahoo.co", "yahoo.com", TYPO),
    ("yahooo.cmo", "yahoo.com", TYPO),  # Kicksend's chaining example, in one step
    ("yahooo.co.uk", "yahoo.co.uk", TYPO),
    ("yahoo.co.ukk", "yahoo.co.uk", TYPO),
    ("yahooo.gr", "yahoo.gr", TYPO),  # a yahoo.<country> not on our list
    ("ymail.con", "ymail.com", TYPO),
    ("rocketmial.com", "rocketmail.com", TYPO),
    ("aol.con", "aol.com", TYPO),
    ("aol.cm", "aol.com", TYPO),
    ("aol.co", "aol.com", TYPO),
    # Apple, Proton
    ("iclod.com", "icloud.com", TYPO),
    ("iclould.com", "icloud.com", TYPO),
    ("icoud.com", "icloud.com", TYPO),
    ("icloud.con", "icloud.com", TYPO),
    ("icloud.co", "icloud.com", TYPO),
    ("icloud.cm", "icloud.com", TYPO),
    ("me.con", "me.com", TYPO),
    ("mac.con", "mac.com", TYPO),
    ("protonmail.co", "protonmail.com", TYPO),
    ("protonmial.com", "protonmail.com", TYPO),
    ("protonmail.con", "protonmail.com", TYPO),
    ("proton.mr", "proton.me", TYPO),
    # GMX / WEB.DE, Russia, Europe
    ("gmx.ne", "gmx.net", TYPO),  # mailcheck HEAD (sift4) says gmx.de
    ("gmx.nte", "gmx.net", TYPO),
    ("gmx.dee", "gmx.de", TYPO),
    ("gmx.co", "gmx.com", TYPO),
    ("web.dee", "web.de", TYPO),
    ("yandx.ru", "yandex.ru", TYPO),
    ("yandex.rru", "yandex.ru", TYPO),
    ("mail.rru", "mail.ru", TYPO),
    ("t-onlin.de", "t-online.de", TYPO),
    ("wanado.fr", "wanadoo.fr", TYPO),
    ("lapost.net", "laposte.net", TYPO),
    ("libero.itt", "libero.it", TYPO),
    # Internet providers, China
    ("comcats.net", "comcast.net", TYPO),
    ("comcast.nte", "comcast.net", TYPO),
    ("comcast.ent", "comcast.net", TYPO),
    ("verizn.net", "verizon.net", TYPO),
    ("verizon.nte", "verizon.net", TYPO),
    ("sbcgloabl.net", "sbcglobal.net", TYPO),
    ("sbcglobal.ent", "sbcglobal.net", TYPO),
    ("att.nte", "att.net", TYPO),
    ("att.ner", "att.net", TYPO),
    ("btinterent.com", "btinternet.com", TYPO),
    ("btinternet.co", "btinternet.com", TYPO),
    ("qq.con", "qq.com", TYPO),
    ("163.con", "163.com", TYPO),
    # Typos we knowingly miss (typos.py, "Known costs")
    ("aoll.com", None, TYPO),  # names under 5 letters only get TLD corrections
    ("mial.com", None, TYPO),
    ("otmail.com", None, TYPO),  # the first letter is never corrected
    ("ahoo.com", None, TYPO),
    ("hotmail.fe", None, TYPO),  # .fr or .de? equally close: no guess
    ("gmail.c", None, TYPO),  # "c" is two edits from "com"
    # Real mailbox domains that look like others
    *((domain, None, PROVIDER) for domain in WELL_KNOWN_DOMAINS),
    ("gmx.fr", None, PROVIDER),  # country variants of the second-level names, not listed one by one
    ("gmx.es", None, PROVIDER),
    ("aol.de", None, PROVIDER),
    ("yahoo.es", None, PROVIDER),
    ("yahoo.gr", None, PROVIDER),
    ("yahoo.co.jp", None, PROVIDER),
    ("hotmail.be", None, PROVIDER),
    ("live.nl", None, PROVIDER),
    ("outlook.jp", None, PROVIDER),
    ("yandex.ua", None, PROVIDER),
    ("mail.de", None, PROVIDER),
    # Other people's domains, including ones within a letter or two of a provider
    ("acme-corp.com", None, OTHER),
    ("example.com", None, OTHER),
    ("example.org", None, OTHER),
    ("university.edu", None, OTHER),
    ("mit.edu", None, OTHER),
    ("stanford.edu", None, OTHER),
    ("olympus.io", None, OTHER),
    ("olympus.com", None, OTHER),
    ("company.co.uk", None, OTHER),
    ("ibm.com", None, OTHER),  # one letter off aim.com
    ("gm.com", None, OTHER),  # gmx.com / gmail.com
    ("hp.com", None, OTHER),  # me.com, qq.com
    ("ge.com", None, OTHER),  # me.com
    ("aon.com", None, OTHER),  # aol.com
    ("amc.com", None, OTHER),  # mac.com
    ("att.com", None, OTHER),  # AT&T's own domain, not att.net
    ("verizon.com", None, OTHER),
    ("comcast.com", None, OTHER),
    ("orange.com", None, OTHER),
    ("free.com", None, OTHER),
    ("sky.de", None, OTHER),
    ("web.com", None, OTHER),
    ("google.com", None, OTHER),
    ("microsoft.com", None, OTHER),
    ("apple.com", None, OTHER),
    ("yahoo-inc.com", None, OTHER),  # sift3 2.0 from yahoo.com
    ("small.com", None, OTHER),  # sift3 2.0 from gmail.com
    ("cloud.com", None, OTHER),  # icloud.com without its first letter
    ("wahoo.com", None, OTHER),
    ("gmailer.com", None, OTHER),
    ("gmail.de", None, OTHER),  # not Google's, and not mail.de either
    ("life.com", None, OTHER),
    ("love.com", None, OTHER),
    ("mall.com", None, OTHER),
    ("zoo.com", None, OTHER),
    ("protonvpn.com", None, OTHER),
    ("mailbox.org", None, OTHER),
    ("outlook-corp.com", None, OTHER),
    ("acme.co", None, OTHER),  # .co is Colombia: only a typo next to a provider's name
    ("acme.con", None, OTHER),  # no provider near it (and .con does not exist: recipient_invalid)
    ("bücher.de", None, OTHER),
    ("почта.рф", None, OTHER),
)


@pytest.mark.parametrize(("domain", "expected", "kind"), ROWS, ids=[row[0] for row in ROWS])
def test_suggest_domain_table(domain: str, expected: str | None, kind: str) -> None:
    assert kind in (TYPO, PROVIDER, OTHER)
    assert suggest_domain(domain) == expected


def test_table_figures_zero_false_positives_and_high_recall() -> None:
    assert len(ROWS) >= 110
    typos = [row for row in ROWS if row[2] == TYPO]
    others = [row for row in ROWS if row[2] != TYPO]
    made = [(suggest_domain(domain), expected) for domain, expected, _ in typos]
    suggested = [(got, expected) for got, expected in made if got is not None]
    right = [got for got, expected in suggested if got == expected]
    false_positives = [domain for domain, _, _ in others if suggest_domain(domain) is not None]
    assert false_positives == []
    assert len(right) == len(suggested)  # precision 1.0 on the typo rows: never a wrong domain
    assert len(right) / len(typos) >= 0.94  # recall, with the misses typos.py accepts


@pytest.mark.parametrize(("domain", "expected", "kind"), [row for row in ROWS if row[1]])
def test_no_suggestion_of_a_suggestion(domain: str, expected: str, kind: str) -> None:
    assert kind == TYPO
    assert suggest_domain(expected) is None
    name, tld = split_domain(expected)
    assert expected in WELL_KNOWN_DOMAINS or (name in SECOND_LEVEL_NAMES and tld in TOP_LEVEL_DOMAINS)


def test_every_consumer_domain_of_the_provider_table_is_well_known() -> None:
    assert set(CONSUMER_DOMAINS) <= set(WELL_KNOWN_DOMAINS)


def test_the_data_reads_clean() -> None:
    assert len(set(WELL_KNOWN_DOMAINS)) == len(WELL_KNOWN_DOMAINS)
    assert all(domain == domain.lower().strip() and "." in domain for domain in WELL_KNOWN_DOMAINS)
    assert all(provider for provider, _ in PROVIDER_DOMAINS)
    assert len(set(TOP_LEVEL_DOMAINS)) == len(TOP_LEVEL_DOMAINS)
    assert all(intended in TOP_LEVEL_DOMAINS and typo != intended for typo, intended in TLD_TYPOS)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (" GMIAL.COM ", "gmail.com"),
        ("gmial.com.", "gmail.com"),
        ("Gmail.Com", None),
        ("", None),
        ("gmail", "gmail.com"),
    ],
)
def test_suggest_domain_normalises_its_input(domain: str, expected: str | None) -> None:
    assert suggest_domain(domain) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("Jane.Doe+x@gmial.com", "Jane.Doe+x@gmail.com"),
        ('"a@b"@hotmial.com', '"a@b"@hotmail.com'),
        ("jane@gmail.com", None),
        ("jane@acme-corp.com", None),
        ("no-at-sign", None),
        ("@gmial.com", None),
    ],
)
def test_suggest_address_keeps_the_local_part(email: str, expected: str | None) -> None:
    assert suggest_address(email) == expected


@pytest.mark.parametrize(
    ("s1", "s2", "distance"),
    [
        ("gmail.co", "gmail.com", 0.5),  # the value reference/addresses.md quotes
        ("gmail.com", "gmail.com", 0.0),
        ("", "abc", 3.0),
        ("abc", "", 3.0),
        ("gmial", "gmail", 2.0),  # a swap costs sift3 two
        ("yahoo-inc", "yahoo", 2.0),  # four extra letters cost it two
        ("cm", "ca", 1.0),
        ("cm", "com", 1.5),  # why mailcheck 1.1.2 said yahoo.ca
    ],
)
def test_sift3(s1: str, s2: str, distance: float) -> None:
    assert sift3(s1, s2) == distance


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("gmial", "gmail", 1),
        ("gmail", "gmail", 0),
        ("yahoo-inc", "yahoo", 4),
        ("small", "gmail", 2),
        ("", "ab", 2),
    ],
)
def test_osa_distance(a: str, b: str, distance: int) -> None:
    assert osa_distance(a, b) == distance
    assert osa_distance(b, a) == distance


def test_split_domain_keeps_a_two_label_tld_whole() -> None:
    assert split_domain("yahoo.co.uk") == ("yahoo", "co.uk")
    assert split_domain("gmailcom") == ("", "gmailcom")
