"""Lifting a suppression through the provider's API (Resend stand-in over HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.standins.providers import ResendStandIn
from workers.core.settings import load_settings
from workers.remediation.unsuppress import UnsuppressResult, lift_suppression

KEY = "re_unsuppress_0123456789"
EMAIL = "user@example.com"


@pytest.fixture
def resend_api() -> Iterator[ResendStandIn]:
    with ResendStandIn(KEY) as standin:
        yield standin  # type: ignore[misc]


def _lift(resend_api: ResendStandIn, **overrides: str) -> UnsuppressResult:
    settings = load_settings(
        {
            "mail_provider": "resend",
            "mail_provider_api_key": KEY,
            "mail_provider_api_url": resend_api.url,
            **overrides,
        }
    )
    return asyncio.run(lift_suppression(EMAIL, settings, cache=None, timeout=5))


def test_removes_the_suppression(resend_api: ResendStandIn) -> None:
    resend_api.suppress(EMAIL, "bounce", "2026-11-20T10:00:00Z")
    result = _lift(resend_api)
    assert result.ok and "lifted" in result.detail
    assert EMAIL not in resend_api.suppressions
    assert resend_api.paths("DELETE") == [f"/suppressions/{EMAIL}"]


def test_not_suppressed_is_what_was_asked(resend_api: ResendStandIn) -> None:
    assert _lift(resend_api).ok


def test_provider_failure_is_a_failure(resend_api: ResendStandIn) -> None:
    resend_api.suppress(EMAIL, "bounce", "2026-11-20T10:00:00Z")
    resend_api.fail(500, times=4)
    result = _lift(resend_api)
    assert not result.ok and "500" in result.detail
    assert KEY not in result.detail


def test_refused_key_and_missing_key(resend_api: ResendStandIn) -> None:
    refused = _lift(resend_api, mail_provider_api_key="re_wrong_key_000000")
    assert not refused.ok and "MAIL_PROVIDER_API_KEY" in refused.detail
    settings = load_settings({"mail_provider": "resend"})
    missing = asyncio.run(lift_suppression(EMAIL, settings, cache=None))
    assert not missing.ok and "MAIL_PROVIDER_API_KEY is not set" in missing.detail


def test_a_provider_without_an_api_has_no_list_to_edit() -> None:
    settings = load_settings({"mail_provider": "smtp", "mail_provider_api_key": KEY})
    result = asyncio.run(lift_suppression(EMAIL, settings, cache=None, timeout=5))
    assert not result.ok and result.detail == "no suppression list to edit for provider 'smtp'"
