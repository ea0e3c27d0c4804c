"""A wrong MAIL_PROVIDER_API_URL (no such path, a web page, nothing listening) names that setting, through
the real provider stand-ins; the provider's own public URL is never blamed on a setting nobody set."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from pydantic import SecretStr

from tests.standins.providers import ProviderStandIn
from tests.standins.redis_server import free_port
from tests.workers.providers.support import KEYS, STANDINS, run_check, run_removal
from workers.checks import provider as provider_check
from workers.providers import registry
from workers.providers.base import RemovalOutcome
from workers.report.model import CheckResult, Status

PROVIDERS = sorted(STANDINS)
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}


def standin(provider: str) -> ProviderStandIn:
    return STANDINS[provider](KEYS[provider])


def root(api: ProviderStandIn) -> str:
    return api.url.removesuffix(api.prefix)


def assert_names_the_url(result: CheckResult, provider: str, url: str) -> None:
    assert result.status is Status.ERROR
    assert f"MAIL_PROVIDER_API_URL ({url})" in result.summary, result.summary
    assert result.summary.startswith(f"{LABELS[provider]} API ")
    assert result.details == {"provider": provider, "error": "config", "setting": "MAIL_PROVIDER_API_URL"}
    assert KEYS[provider] not in json.dumps(result.to_dict())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_url_with_the_wrong_path_names_the_setting(provider: str) -> None:
    with standin(provider) as api:
        wrong = root(api) + "/api"  # Brevo/SMTP2GO lose their /v3; Resend/Postmark gain a prefix
        result = run_check(provider, wrong)
    assert_names_the_url(result, provider, wrong)
    assert "answered 404 for /api/" in result.summary
    assert f"probably does not point at the {LABELS[provider]} API (https://" in result.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_url_that_reaches_a_web_page_names_the_setting(provider: str) -> None:
    with standin(provider) as api:
        api.login_page(times=50)
        result = run_check(provider, api.url)
    assert_names_the_url(result, provider, api.url)
    assert "answered an HTML page for " in result.summary
    assert "probably points at a web page or a proxy" in result.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_nothing_listening_at_the_url_names_the_setting(provider: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_check(provider, url.replace("http://", "http://user:pa55word@"))
    assert_names_the_url(result, provider, url)
    assert "pa55word" not in result.summary
    assert "unreachable at MAIL_PROVIDER_API_URL" in result.summary


def test_unsuppress_through_a_wrong_url_is_an_error_not_not_suppressed() -> None:
    with standin("brevo") as api:  # Brevo answers 404 for "not blocked": a route 404 must not pass
        removal = run_removal("brevo", root(api))
    assert removal.outcome is RemovalOutcome.ERROR
    assert "MAIL_PROVIDER_API_URL" in removal.detail


def test_the_providers_own_url_is_not_blamed_on_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with standin("postmark") as api:
        # The seam: the provider's public base URL, so that nothing here leaves the machine.
        adapter = registry.ADAPTERS["postmark"]
        spec = dataclasses.replace(adapter.spec, base_url=api.url)
        monkeypatch.setitem(registry.ADAPTERS, "postmark", dataclasses.replace(adapter, spec=spec))
        api.login_page(times=50)
        result = asyncio.run(
            provider_check.check_provider(
                "user@example.com",
                provider="postmark",
                api_key=SecretStr(KEYS["postmark"]),
                api_url=None,
                postmark_stream="outbound",
                lookback_days=7,
                cache=None,
                timeout=5,
            )
        )
    assert result.status is Status.ERROR
    assert "MAIL_PROVIDER_API_URL" not in result.summary
    assert result.summary.startswith("Postmark API answered an HTML page")
    assert result.details["error"] == "bad_answer"
