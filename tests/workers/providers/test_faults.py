"""Every provider API: rate limits, refused keys, outages and garbage end as `error`, never an exception."""

from __future__ import annotations

import json

import pytest

from tests.standins.providers import ProviderStandIn
from tests.standins.redis_server import free_port
from tests.workers.providers.support import EMAIL, KEYS, STANDINS, run_check, run_removal
from workers.providers.base import RemovalOutcome
from workers.report.model import Status

PROVIDERS = sorted(STANDINS)
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}


def standin(provider: str) -> ProviderStandIn:
    return STANDINS[provider](KEYS[provider])


def assert_error(result_json: str, provider: str) -> None:
    assert KEYS[provider] not in result_json


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_is_retried_after_retry_after(provider: str) -> None:
    with standin(provider) as api:
        api.rate_limit(times=2, retry_after="0")
        result = run_check(provider, api.url)
        statuses = len(api.requests)
    assert result.status is Status.OK
    assert "no message" in result.summary
    assert statuses >= 3  # the two refused requests were sent again


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_beyond_the_timeout_is_a_rate_limit_error(provider: str) -> None:
    with standin(provider) as api:
        api.rate_limit(times=50, retry_after="30")
        result = run_check(provider, api.url, timeout=2)
    assert result.status is Status.ERROR
    assert result.summary == f"{LABELS[provider]} API rate limit reached (retry in 30 s)"
    assert result.details == {"provider": provider, "error": "rate_limited"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_key_is_a_configuration_error(provider: str) -> None:
    with standin(provider) as api:
        result = run_check(provider, api.url, key="wrong-key")
    expected = 403 if provider == "resend" else 401  # Resend: 401 missing key, 403 invalid key
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"MAIL_PROVIDER_API_KEY was refused by {LABELS[provider]} ({expected})")
    assert "configuration error" in result.summary
    assert result.details["error"] == "config"
    assert "wrong-key" not in json.dumps(result.to_dict())
    assert result.details["setting"] == "MAIL_PROVIDER_API_KEY"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_outage_is_an_error(provider: str) -> None:
    with standin(provider) as api:
        api.fail(503, times=50)
        result = run_check(provider, api.url)
    assert result.status is Status.ERROR
    assert result.summary == f"{LABELS[provider]} API is failing (503)"
    assert result.details["error"] == "unavailable"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_refused_is_an_error(provider: str) -> None:
    result = run_check(provider, f"http://127.0.0.1:{free_port()}")
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"{LABELS[provider]} API unreachable")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_garbage_is_an_error(provider: str) -> None:
    with standin(provider) as api:
        api.not_json(times=50)
        result = run_check(provider, api.url)
    assert result.status is Status.ERROR
    assert result.summary == f"{LABELS[provider]} API answered with something that is not JSON"
    assert result.details["error"] == "bad_answer"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unexpected_shape_is_an_error_that_names_no_value(provider: str) -> None:
    with standin(provider) as api:
        api.wrong_shape(times=50)
        result = run_check(provider, api.url)
    assert result.status is Status.ERROR
    assert result.summary.startswith(f"{LABELS[provider]} API answered in an unexpected shape")
    assert result.details["error"] == "bad_answer"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_api_times_out_as_an_error(provider: str) -> None:
    with standin(provider) as api:
        api.latency = 10
        result = run_check(provider, api.url, timeout=0.3)
    assert result.status is Status.ERROR
    assert "did not answer" in result.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_removal_never_raises(provider: str) -> None:
    with standin(provider) as api:
        api.fail(500, times=50)
        failed = run_removal(provider, api.url)
    refused = run_removal(provider, f"http://127.0.0.1:{free_port()}")
    assert failed.outcome is RemovalOutcome.ERROR and "(500)" in failed.detail
    assert refused.outcome is RemovalOutcome.ERROR and not refused.ok
    assert EMAIL not in failed.detail
