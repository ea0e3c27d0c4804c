"""Forms of one address (SPEC §14): NFC, Kratos lookups, mixed scripts, Gmail, similar search, look-alikes."""

from __future__ import annotations

import pytest

from workers.report.address_forms import (
    MAX_PREFIXES,
    MIN_PREFIX,
    Closeness,
    MixedScript,
    gmail_canonical,
    is_lookalike,
    kratos_lookups,
    mixed_script,
    normalized,
    script_of,
    similar_search_prefixes,
)

COMPOSED = "jos\u00e9@example.com"
DECOMPOSED = "jose\u0301@example.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (DECOMPOSED, COMPOSED),
        (COMPOSED, COMPOSED),
        ("JOSE\u0301@Example.COM", COMPOSED),
        ("  Jane@Gmail.com\t", "jane@gmail.com"),
        ("<mailto:Jane@Gmail.com|Jane@Gmail.com>", "jane@gmail.com"),
        ("<mailto:jane@gmail.com>", "jane@gmail.com"),
        (" mailto:jane@gmail.com ", "jane@gmail.com"),
        ("MAILTO:jane@gmail.com", "jane@gmail.com"),
    ],
)
def test_normalized(raw: str, expected: str) -> None:
    assert normalized(raw) == expected


def test_decomposed_and_composed_normalise_to_the_same_key() -> None:
    assert DECOMPOSED != COMPOSED
    assert normalized(DECOMPOSED) == normalized(COMPOSED)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jane@gmail.com", ["jane@gmail.com"]),
        ("Jane@Gmail.COM", ["jane@gmail.com"]),
        (COMPOSED, [COMPOSED]),
        (DECOMPOSED, [DECOMPOSED, COMPOSED]),  # as typed first: Kratos only lower-cases
        ("JOSE\u0301@EXAMPLE.COM", [DECOMPOSED, COMPOSED]),
        ("<mailto:JOSE\u0301@example.com|x>", [DECOMPOSED, COMPOSED]),
    ],
)
def test_kratos_lookups(typed: str, expected: list[str]) -> None:
    assert kratos_lookups(typed) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("j\u0430ne@gmail.com", MixedScript(local_part=("Latin", "Cyrillic"), domain=())),
        ("jane@\u0430pple.com", MixedScript(local_part=(), domain=("Cyrillic", "Latin"))),
        ("jane@xn--pple-43d.com", MixedScript(local_part=(), domain=("Cyrillic", "Latin"))),  # Punycode
        (
            "p\u0430ypal@\u0430pple.com",
            MixedScript(local_part=("Latin", "Cyrillic"), domain=("Cyrillic", "Latin")),
        ),
        ("\u03b1lice@example.com", MixedScript(local_part=("Greek", "Latin"), domain=())),
        ("\u00b5ail@example.com", MixedScript(local_part=("Greek", "Latin"), domain=())),  # MICRO SIGN
        ("\u0438\u0432\u0430\u043d@\u043f\u043e\u0447\u0442\u0430.\u0440\u0444", None),  # иван@почта.рф
        ("\u0438\u0432\u0430\u043d@\u043f\u043e\u0447\u0442\u0430.com", None),  # each label alone
        ("jos\u00e9@example.com", None),
        ("jose\u0301@example.com", None),  # a combining mark has no script of its own
        ("jane.doe+42_x@example-1.com", None),  # digits and punctuation are common
        ("\u6771\u4eac\u3072\u3089\u30ab\u30fc@example.jp", None),  # Han + Hiragana + Katakana: Japanese
        (
            "\u0436\u0435\u043d\u044f\u6771\u4eac@example.jp",
            MixedScript(local_part=("Cyrillic", "Han"), domain=()),
        ),
        ("\uff4aane@example.com", None),  # fullwidth j is still Latin
        ("jane@b\u00fccher.de", None),
    ],
)
def test_mixed_script(email: str, expected: MixedScript | None) -> None:
    assert mixed_script(email) == expected


def test_mixed_script_summary_names_the_scripts() -> None:
    found = mixed_script("j\u0430ne@\u0430pple.com")
    assert found is not None
    assert found.summary() == "the local part mixes Latin and Cyrillic; the domain mixes Cyrillic and Latin"


@pytest.mark.parametrize(
    ("char", "script"),
    [
        ("a", "Latin"),
        ("\u0430", "Cyrillic"),
        ("\u03b1", "Greek"),
        ("\u0561", "Armenian"),
        ("\u05d0", "Hebrew"),
        ("\u6f22", "Han"),
        ("\u3072", "Hiragana"),
        ("\uff76", "Katakana"),  # HALFWIDTH KATAKANA LETTER KA
        ("\ud55c", "Hangul"),
        ("1", None),
        (".", None),
        ("\u0301", None),
        ("\u02bc", None),  # MODIFIER LETTER APOSTROPHE
    ],
)
def test_script_of(char: str, script: str | None) -> None:
    assert script_of(char) == script


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane.doe@gmail.com", "janedoe@gmail.com"),
        ("Jane.Doe+news@GoogleMail.com", "janedoe@gmail.com"),
        ("j.a.n.e.d.o.e+a+b@gmail.com", "janedoe@gmail.com"),
        ("janedoe@gmail.com", "janedoe@gmail.com"),
        ("jane.doe@olympus.io", None),  # a Google Workspace domain keeps its dots
        ("jane.doe@gmial.com", None),  # a typo is not Gmail (suggest_address first)
        ("+tag@gmail.com", None),
        ("not-an-address", None),
    ],
)
def test_gmail_canonical(email: str, expected: str | None) -> None:
    assert gmail_canonical(email) == expected


GMAIL_LOOKALIKES = (
    "jane.doe@gmail.com",
    "janedoe+x@googlemail.com",
    "j.anedoe@gmail.com",
    "ja.nedoe@gmail.com",
)


@pytest.mark.parametrize("typed", ["janedoe@gmail.com", "jane.doe@googlemail.com", "JaneDoe+Shop@gmail.com"])
@pytest.mark.parametrize("owner", GMAIL_LOOKALIKES)
def test_the_gmail_prefixes_find_every_equivalent_form(typed: str, owner: str) -> None:
    assert any(owner.startswith(prefix) for prefix in similar_search_prefixes(typed))


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("janedoe@gmail.com", ["jan", "j.a", "ja."]),
        ("jane.doe@gmial.com", ["jane.doe@gmail.com", "jan", "j.a"]),  # the correction first
        ("jane.doe+x@acme-corp.com", ["jane.doe", "jan"]),
        ("jane@hotmial.com", ["jane@hotmail.com", "jane", "jan"]),
        ("Jo@Acme-Corp.com", ["jo@"]),
        ("j@acme-corp.com", []),  # nothing of three characters to ask for
        ("not-an-address", []),
    ],
)
def test_similar_search_prefixes(email: str, expected: list[str]) -> None:
    assert similar_search_prefixes(email) == expected


@pytest.mark.parametrize(
    "email",
    [
        "janedoe@gmail.com",
        "jane.doe@gmial.com",
        "a.b.c@gmail.com",
        "ab@gmail.com",
        "x@y.z",
        "JÖRG@gmx.de",
        "jo+x@gmx.ne",
    ],
)
def test_similar_search_prefixes_stay_in_bounds(email: str) -> None:
    prefixes = similar_search_prefixes(email)
    assert len(prefixes) <= MAX_PREFIXES
    assert len(set(prefixes)) == len(prefixes)
    assert all(len(prefix) >= MIN_PREFIX and prefix == prefix.lower() for prefix in prefixes)


LOOKALIKES: tuple[tuple[str, str, Closeness | None], ...] = (
    # yes
    ("jane.doe@gmail.com", "janedoe@gmail.com", Closeness.GMAIL_EQUIVALENT),
    ("janedoe@gmail.com", "jane.doe+x@googlemail.com", Closeness.GMAIL_EQUIVALENT),
    ("jane@googlemail.com", "jane@gmail.com", Closeness.GMAIL_EQUIVALENT),
    ("jane@gmial.com", "jane@gmail.com", Closeness.DOMAIN_TYPO),
    ("jane@gmail.com", "jane@gmial.com", Closeness.DOMAIN_TYPO),  # the identity holds the typo
    ("jane.doe@gmial.com", "janedoe@googlemail.com", Closeness.DOMAIN_TYPO),  # typo and Gmail forms
    ("jane@yahoo.cm", "jane@yahoo.com", Closeness.DOMAIN_TYPO),
    ("jane@acme.com", "jane@acme.co", Closeness.DOMAIN_TYPO),  # a listed TLD slip
    ("jane@acme.con", "jane@acme.com", Closeness.DOMAIN_TYPO),
    (COMPOSED, DECOMPOSED, Closeness.UNICODE_FORM),
    ("Jane@Gmail.com", "jane@gmail.com", Closeness.UNICODE_FORM),
    ("jane+shop@acme.com", "jane@acme.com", Closeness.SUBADDRESS),
    ("jane@yahoo.com", "jane+x@yahoo.com", Closeness.SUBADDRESS),  # shares the local part (SPEC §14)
    ("jane.doe@acme.com", "jane.dow@acme.com", Closeness.LOCAL_TYPO),
    ("jane.doe@acme.com", "jnae.doe@acme.com", Closeness.LOCAL_TYPO),  # a swap is one edit
    ("janedoe@gmail.com", "jane.dow@gmail.com", Closeness.LOCAL_TYPO),
    ("jane.doe@olympus.io", "janedoe@olympus.io", Closeness.LOCAL_TYPO),  # not Gmail: a dropped dot is a slip
    ("jonathan.smith@acme.com", "jonathon.smyth@acme.com", Closeness.LOCAL_TYPO),  # 12+: two edits
    # no
    ("jane.smith@gmail.com", "jane.doe@gmail.com", None),
    ("jane@acme.com", "jane@acme.org", None),  # two real TLDs are two organisations
    ("jane@gmail.com", "janet@gmail.com", None),  # short local parts: a slip makes another name
    ("maria@acme.com", "mario@acme.com", None),
    ("jane.doe@acme.com", "jane.doe@acme-corp.com", None),
    ("jane.doe@acme.com", "jane.doe@olympus.io", None),
    ("jnae.doe@gmial.com", "jane.doe@gmail.com", None),  # two slips at once
    ("jonathan.smith@acme.com", "jonathan.smith.jr@acme.com", None),
    ("jane@gmail.com", "jane@gmail.com", None),  # the address itself
    ("jane@gmail.com", "not-an-address", None),
    ("jane@gmail.com", "google-oidc:1234567890", None),
)


@pytest.mark.parametrize(("typed", "candidate", "expected"), LOOKALIKES)
def test_is_lookalike(typed: str, candidate: str, expected: Closeness | None) -> None:
    assert is_lookalike(typed, candidate) == expected


def test_closeness_orders_candidates() -> None:
    typed = "jane.doe@gmail.com"
    candidates = [
        "jane.dow@gmail.com",
        "jane.doe@gmial.com",
        "janedoe@googlemail.com",
        "jane.smith@gmail.com",
    ]
    ranked = sorted(
        (rank, candidate) for candidate in candidates if (rank := is_lookalike(typed, candidate)) is not None
    )
    assert [candidate for _, candidate in ranked] == [
        "janedoe@googlemail.com",
        "jane.doe@gmial.com",
        "jane.dow@gmail.com",
    ]
