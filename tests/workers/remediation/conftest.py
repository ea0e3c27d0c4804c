"""Fixtures for the remediation tests: a fresh Kratos stand-in per test (Redis: `redis_url`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.standins.kratos import KratosStandIn


@pytest.fixture
def kratos_api() -> Iterator[KratosStandIn]:
    """A fresh Kratos stand-in; whatever it answered must match Kratos's OpenAPI document."""
    with KratosStandIn() as standin:
        yield standin
        assert standin.violations == [], standin.violations
