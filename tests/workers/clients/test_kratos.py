"""The Kratos admin client against the stand-in: paging, look-back window, exactness, failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import unique_email
from tests.standins.kratos import KratosStandIn
from workers.checks.courier import check_courier
from workers.clients import kratos as kratos_module
from workers.clients.kratos import KratosAdmin, KratosError


def _collect(standin: KratosStandIn, email: str, since: datetime) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=standin.admin_url, timeout=2) as http:
            return [m async for m in KratosAdmin(http).courier_messages(email, since=since)]

    return asyncio.run(run())


def test_follows_link_next_inside_the_window(kratos: KratosStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kratos_module, "PAGE_SIZE", 4)
    email = unique_email("paging")
    for hours in range(10):  # ten inside the window, newest first when listed
        kratos.add_message(email, status="sent", age_s=3600 * hours + 5)
    for days in (8, 9, 10, 11, 12):  # outside a 7-day window: never all fetched
        kratos.add_message(email, status="sent", age_s=86400 * days)
    kratos.requests.clear()
    messages = _collect(kratos, email, datetime.now(UTC) - timedelta(days=7))
    assert len(messages) == 10
    created = [m["created_at"] for m in messages]
    assert created == sorted(created, reverse=True)
    listings = [p for m, p in kratos.requests if p.startswith("/admin/courier/messages?")]
    assert len(listings) == 3  # 4 + 4 + (2 inside, then the first old one stops paging)
    assert all("page_size=4" in p for p in listings)
    assert sum("page_token=" in p for p in listings) == 2
    assert all("body" not in m and "subject" not in m for m in messages)


def test_recipient_is_lower_cased(kratos: KratosStandIn) -> None:
    email = unique_email("lower")
    kratos.add_message(email, status="sent")
    assert len(_collect(kratos, email.upper(), datetime.now(UTC) - timedelta(days=1))) == 1


@pytest.mark.parametrize("fault", ["fail_with", "garbage"])
def test_kratos_faults_become_check_errors(kratos: KratosStandIn, fault: str) -> None:
    setattr(kratos, fault, 500 if fault == "fail_with" else True)
    try:

        async def run() -> Any:
            async with httpx.AsyncClient(base_url=kratos.admin_url, timeout=2) as http:
                return await check_courier(
                    "x@example.com", kratos=KratosAdmin(http), lookback_days=7, stuck_after=120
                )

        result = asyncio.run(run())
    finally:
        kratos.fail_with, kratos.garbage = None, False
    assert result.status == "error"
    assert "Kratos" in result.summary


def test_unreachable_kratos_is_a_kratos_error() -> None:
    async def run() -> None:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=1) as http:
            await KratosAdmin(http).find_identity("a@example.com")

    with pytest.raises(KratosError, match="unreachable"):
        asyncio.run(run())


def test_dispatch_errors_are_read_from_the_detail_route(kratos: KratosStandIn) -> None:
    email = unique_email("dispatch")
    kratos.add_message(
        email, status="queued", age_s=30, dispatches=[("failed", "dial tcp 10.1.1.1:465: i/o timeout")]
    )

    async def run() -> Any:
        async with httpx.AsyncClient(base_url=kratos.admin_url, timeout=2) as http:
            return await check_courier(email, kratos=KratosAdmin(http), lookback_days=7, stuck_after=120)

    result = asyncio.run(run())
    newest = result.details["newest"]
    assert newest["dispatches"][0]["status"] == "failed"
    assert "i/o timeout" in result.details["last_error"]
    assert result.details["classification"] == "smtp_unreachable"
    assert [f.code for f in result.findings] == ["courier_retrying"]
