"""The addresses a message shortcut finds in a message's text (SPEC §17), and a modal's address field."""

from __future__ import annotations

import unicodedata

import pytest

from bot.errors import UsageError
from bot.parse import MAX_OFFERED, Check, find_addresses, parse_address_input, parse_command


def _emails(text: str) -> list[str]:
    return [check.email for check in find_addresses(text).checks]


def test_plain_and_mailto_forms_are_found_in_order() -> None:
    text = (
        "Ticket 4411: <mailto:Jane.Doe@Example.com|Jane.Doe@Example.com> says she never got the code; "
        "her colleague (bob@example.org) neither. Reply to support@example.net."
    )
    assert _emails(text) == ["jane.doe@example.com", "bob@example.org", "support@example.net"]


def test_duplicates_are_one_address_after_normalization() -> None:
    decomposed = unicodedata.normalize("NFD", "josé@example.com")
    text = f"josé@example.com {decomposed} JOSÉ@EXAMPLE.COM <mailto:jose\u0301@example.com|josé@example.com>"
    found = find_addresses(text)
    assert [c.email for c in found.checks] == ["josé@example.com"]
    assert found.more == 0


def test_the_typed_form_is_kept_when_it_differs_from_the_normalized_one() -> None:
    decomposed = unicodedata.normalize("NFD", "rené@example.com")
    [check] = find_addresses(f"user {decomposed} writes").checks
    assert check == Check("rené@example.com", decomposed)


def test_mentions_and_link_targets_are_never_addresses() -> None:
    text = (
        "<@U0SOMEONE> <!here> <!subteam^S0TEAM|@support> <#C0CHAN|general> "
        "<https://id.example.com/reset?email=victim@example.com|the reset page> "
        "<mailto:real@example.com|write to us>"
    )
    assert _emails(text) == ["real@example.com"]


def test_a_link_label_that_is_an_address_is_offered_beside_its_target() -> None:
    # What the reader sees and where the link goes: both are in the message, both are offered.
    assert _emails("<mailto:target@example.com|shown@example.com>") == [
        "target@example.com",
        "shown@example.com",
    ]


def test_escaped_markup_and_punctuation_around_addresses() -> None:
    text = '&lt;amy@example.com&gt;, "ben@example.com"; *cy@example.com* _di@example.com_ ed@example.com!'
    assert _emails(text) == [
        "amy@example.com",
        "ben@example.com",
        "cy@example.com",
        "di@example.com",
        "ed@example.com",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "no address at all, only <@U0X> and <!channel>",
        "bad\u0007one@example.com",  # a control character inside a token: not an address
        "x" * 255 + "@example.com",  # longer than /mailcheck accepts
        "a@b user@localhost two@@example.com",
        "",
    ],
)
def test_nothing_that_mailcheck_would_refuse_is_offered(text: str) -> None:
    found = find_addresses(text)
    assert found.checks == () and found.more == 0


def test_newlines_and_tabs_separate_addresses() -> None:
    assert _emails("first@example.com\nsecond@example.com\tthird@example.com") == [
        "first@example.com",
        "second@example.com",
        "third@example.com",
    ]


def test_the_first_ten_are_offered_and_the_rest_counted() -> None:
    text = " ".join(f"user{i}@example.com" for i in range(10_000))
    found = find_addresses(text)
    assert [c.email for c in found.checks] == [f"user{i}@example.com" for i in range(MAX_OFFERED)]
    assert found.more == 10_000 - MAX_OFFERED


def test_a_flood_of_invalid_addresses_is_counted_not_validated_one_by_one() -> None:
    # Thousands of address-shaped tokens that are not valid: validation stops after a bounded number of
    # tries (each costs ~20 µs), and what follows is only counted.
    text = " ".join(f"u{i}@bad_domain.example" for i in range(5_000)) + " late@example.com"
    found = find_addresses(text)
    assert found.checks == ()
    assert found.more > 4_000


@pytest.mark.parametrize(
    "text", ["user@example.com", " User@Example.COM ", "<mailto:user@example.com|user@example.com>"]
)
def test_the_modal_field_takes_what_mailcheck_takes(text: str) -> None:
    assert parse_address_input(text) == Check("user@example.com")


@pytest.mark.parametrize("text", ["", "help", "status", "history user@example.com"])
def test_the_modal_field_wants_one_address(text: str) -> None:
    with pytest.raises(UsageError, match="give one email address"):
        parse_address_input(text)


@pytest.mark.parametrize(
    "text", ["a@example.com b@example.com", "no-at-sign", "bad\u0007@example.com", "<@U0X|x>"]
)
def test_the_modal_field_refuses_with_the_commands_own_words(text: str) -> None:
    with pytest.raises(UsageError) as in_modal:
        parse_address_input(text)
    with pytest.raises(UsageError) as in_command:
        parse_command(text)
    assert in_modal.value.problem == in_command.value.problem
