"""How long a 429 asks us to wait, from the headers each provider uses."""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.standins.providers import ResendStandIn
from tests.workers.providers.support import KEYS, run_check
from workers.providers.http import retry_after_seconds
from workers.report.model import Status


@pytest.mark.parametrize(
    ("headers", "reset_headers", "expected"),
    [
        ({"retry-after": "2"}, (), 2.0),
        ({"retry-after": "-5"}, (), 0.0),
        ({"retry-after": "soon"}, (), None),
        ({"x-sib-ratelimit-reset": "3000"}, ("x-sib-ratelimit-reset",), 3000.0),
        ({"retry-after": "1", "ratelimit-reset": "9"}, ("ratelimit-reset",), 1.0),
        ({}, ("ratelimit-reset",), None),
    ],
)
def test_wait_from_headers(
    headers: dict[str, str], reset_headers: tuple[str, ...], expected: float | None
) -> None:
    assert retry_after_seconds(headers, reset_headers) == expected


def test_wait_from_an_http_date_and_an_epoch_reset() -> None:
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    from_date = retry_after_seconds({"retry-after": in_a_minute}, ())
    from_epoch = retry_after_seconds(
        {"x-ratelimit-reset": str(int(time.time()) + 60)}, ("x-ratelimit-reset",)
    )
    assert from_date is not None and 50 < from_date <= 60
    assert from_epoch is not None and 50 < from_epoch <= 60


def test_a_provider_error_that_echoes_secrets_is_scrubbed() -> None:
    echo = {"message": f"key {KEYS['resend']} rejected for user 907314, see https://resend.com/x?c=907314"}
    with ResendStandIn(KEYS["resend"]) as api:
        api.answer(422, echo, times=50)
        result = run_check("resend", api.url)
    assert result.status is Status.ERROR
    assert result.summary.startswith("Resend API refused the request (422): ")
    for leaked in (KEYS["resend"], "907314", "https://"):
        assert leaked not in result.summary
    assert "[secret]" in result.summary
