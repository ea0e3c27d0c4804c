import pytest

from bot.errors import UsageError
from bot.parse import Check, Help, Status, parse_command


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP"])
def test_help_and_empty(text: str) -> None:
    assert parse_command(text) == Help()


def test_status() -> None:
    assert parse_command(" status ") == Status()


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("user@example.com", "user@example.com"),
        ("  User@Example.COM ", "user@example.com"),
        ("<mailto:Ann@Example.com|Ann@Example.com>", "ann@example.com"),
        ("<mailto:ann@example.com>", "ann@example.com"),
        ("o&amp;brien@example.com", "o&brien@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_addresses_are_normalized(text: str, email: str) -> None:
    assert parse_command(text) == Check(email)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a@example.com b@example.com", "exactly one"),
        ("example.com", "no `@`"),
        ("a" * 250 + "@example.com", "longer than 254"),
        ("bad\x00@example.com", "control characters"),
        ("bad\x1b[31m@example.com", "control characters"),
        ("<@U123ABC>", "mentions"),
        ("<@U123ABC|ann> a@example.com", "mentions"),
        ("<!channel>", "mentions"),
        ("<#C123|general>", "mentions"),
        ("a@localhost", "not a valid"),
        ("a@@example.com", "not a valid"),
        ("<mailto:a@example.com|b@example.com>", "different addresses"),
    ],
)
def test_invalid_input_says_what_is_wrong_and_shows_usage(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(text)
    assert problem in str(raised.value)
    assert "/mailcheck user@example.com" in str(raised.value)
