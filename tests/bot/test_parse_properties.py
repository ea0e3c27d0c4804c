"""Properties of `parse_command` over arbitrary text (SPEC §4.1): it answers Help, Status or Check, or
raises UsageError, and a Check's address is one the rest of mailcheck can trust."""

from __future__ import annotations

import unicodedata

import pytest
from email_validator import validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.errors import USAGE, UsageError
from bot.parse import MAX_ADDRESS_LENGTH, Check, Help, Status, parse_command
from tests.standins.hostile import any_text, plain_addresses


def _outcome(text: str) -> Help | Status | Check | UsageError:
    try:
        return parse_command(text)
    except UsageError as exc:
        return exc


@settings(max_examples=600, deadline=None)
@given(any_text)
@example("İ" * 120 + "@example.com")
@example("<mailto:a@example.com|A@EXAMPLE.COM>")
@example("a@example.com\u0085")
@example("\u00a0a@example.com\u00a0")
@example("a\u200b@example.com")
def test_any_text_is_help_status_a_safe_check_or_a_usage_error(text: str) -> None:
    outcome = _outcome(text)  # any other exception fails the test
    if isinstance(outcome, UsageError):
        assert USAGE in str(outcome)
        return
    assert isinstance(outcome, (Help, Status, Check))
    if isinstance(outcome, Check):
        email = outcome.email
        assert email == email.lower()
        assert 0 < len(email) <= MAX_ADDRESS_LENGTH
        assert email.count("@") == 1
        assert not any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in email), email
        validate_email(email, check_deliverability=False, allow_smtputf8=True)  # still valid as returned


@settings(max_examples=200, deadline=None)
@given(plain_addresses, st.sampled_from(["", " ", "  ", "\t"]), st.booleans())
def test_slack_forms_of_one_address_all_give_the_same_check(address: str, pad: str, shout: bool) -> None:
    expected = Check(address.lower())
    typed = address.upper() if shout else address
    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # as Slack sends it
    forms = [typed, escaped, f"<mailto:{typed}|{typed}>", f"<mailto:{typed}>", f"<mailto:{typed}|{address}>"]
    for form in forms:
        assert parse_command(f"{pad}{form}{pad}") == expected, form


@settings(max_examples=200, deadline=None)
@given(plain_addresses, plain_addresses)
def test_a_mailto_link_naming_another_address_is_refused(shown: str, linked: str) -> None:
    if shown.lower() == linked.lower():
        return
    with pytest.raises(UsageError, match="different addresses"):
        parse_command(f"<mailto:{linked}|{shown}>")


@settings(max_examples=200, deadline=None)
@given(st.lists(plain_addresses, min_size=2, max_size=4), st.sampled_from([" ", "\t", "  ", "\n"]))
def test_more_than_one_word_is_refused(addresses: list[str], sep: str) -> None:
    with pytest.raises(UsageError, match=r"exactly one|control characters"):
        parse_command(sep.join(addresses))


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=20),
    st.characters(codec="utf-8", categories=["Cc"]).filter(lambda ch: ch not in " \t"),
    st.text(max_size=20),
)
def test_control_characters_anywhere_are_refused(head: str, control: str, tail: str) -> None:
    with pytest.raises(UsageError, match="control characters"):
        parse_command(f"{head}{control}{tail}@example.com")
