"""One time parser for Kratos's and the providers' timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from workers.clients.kratos import KratosError, kratos_time
from workers.core.times import parse_time

MOMENT = datetime(2026, 4, 3, 22, 13, 42, 670000, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-03T22:13:42.67Z",  # Kratos, Resend webhooks
        "2026-04-03 22:13:42.67+00",  # Resend's list
        " 2026-04-03T22:13:42.670+00:00 ",
        "2026-04-03T22:13:42.67",  # SMTP2GO suppressions: no zone, taken as UTC
        "2026-04-04T00:13:42.67+02:00",
    ],
)
def test_every_spelling_is_one_moment(text: str) -> None:
    assert parse_time(text) == MOMENT


def test_a_datetime_keeps_its_zone_or_gets_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert parse_time(MOMENT.astimezone(plus_two)).utcoffset() == timedelta(hours=2)
    assert parse_time(MOMENT.replace(tzinfo=None)) == MOMENT


@pytest.mark.parametrize("value", ["yesterday", "", None, 1775254422])
def test_what_is_not_a_time_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_an_unreadable_kratos_time_is_a_kratos_error() -> None:
    assert kratos_time("2026-04-03T22:13:42.67Z") == MOMENT
    with pytest.raises(KratosError, match="unreadable timestamp"):
        kratos_time("yesterday")
