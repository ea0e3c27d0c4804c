"""The name→adapter registry: the only way from a provider name to its API, and an unknown name is an
error (never a silent fallback to some other provider's API)."""

from __future__ import annotations

import dataclasses
from typing import get_args

import pytest

from tests.standins.providers import PostmarkStandIn
from tests.workers.providers.support import KEYS, run_check
from workers.core.settings import Provider
from workers.providers import selection
from workers.providers.registry import ADAPTERS, UnknownProvider, adapter_for, has_api
from workers.report.model import Status


def test_the_settings_offer_exactly_the_registered_providers() -> None:
    assert set(get_args(Provider)) == {"auto", "smtp", *ADAPTERS}


def test_every_inferred_provider_is_registered() -> None:
    inferred = {provider for _pattern, provider in selection._SMTP_HOST_PATTERNS}
    assert inferred == set(ADAPTERS)


def test_each_adapter_is_filed_under_its_own_name() -> None:
    assert all(name == adapter.spec.name for name, adapter in ADAPTERS.items())
    assert sorted(ADAPTERS) == ["brevo", "postmark", "resend", "smtp2go"]


@pytest.mark.parametrize("name", ["smtp", "ses", "", "SMTP2GO"])
def test_an_unknown_name_is_an_error(name: str) -> None:
    assert not has_api(name)
    with pytest.raises(UnknownProvider, match="no API adapter"):
        adapter_for(name)


def test_an_unknown_name_reaches_no_api() -> None:
    with PostmarkStandIn(KEYS["postmark"]) as api:
        result = run_check("ses", api.url, key=KEYS["postmark"])
        asked = len(api.requests)
    assert result.status is Status.SKIPPED
    assert asked == 0


def test_a_fifth_provider_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the check asks goes through the registry alone: a new name answers through its adapter."""
    postmark = ADAPTERS["postmark"]
    fifth = dataclasses.replace(
        postmark, spec=dataclasses.replace(postmark.spec, name="fifth", label="Fifth")
    )
    monkeypatch.setitem(ADAPTERS, "fifth", fifth)
    with PostmarkStandIn(KEYS["postmark"]) as api:
        api.fail(503, times=50)
        result = run_check("fifth", api.url, key=KEYS["postmark"])
        asked = len(api.requests)
    assert result.summary == "Fifth API is failing (503)"
    assert result.details == {"provider": "fifth", "error": "unavailable"}
    assert asked > 0
