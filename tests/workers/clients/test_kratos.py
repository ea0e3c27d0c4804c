"""The Kratos admin client against the stand-in: paging, look-back window, exactness, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import unique_email
from tests.standins.kratos import KratosStandIn
from workers.checks.courier import check_courier
from workers.clients import kratos as kratos_module
from workers.clients.kratos import KratosAdmin, KratosError
from workers.clients.kratos_similar import SIMILAR_PARAM, SimilarAnswer, SimilarMatch, judged


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


# --- The experimental similar search (SPEC §14) -----------------------------------------------------


def _similar(standin: KratosStandIn, prefix: str, **kwargs: Any) -> SimilarAnswer:
    async def run() -> SimilarAnswer:
        async with httpx.AsyncClient(base_url=standin.admin_url, timeout=2) as http:
            return await KratosAdmin(http).similar_identities(prefix, **kwargs)

    return asyncio.run(run())


@pytest.fixture
def similar_kratos() -> Iterator[KratosStandIn]:
    """A Kratos of its own: the similar search lists whoever shares a prefix, and "ignored" everyone."""
    with KratosStandIn() as standin:
        yield standin
        assert standin.violations == []


def test_similar_search_is_one_request_and_keeps_what_starts_with_the_prefix(
    similar_kratos: KratosStandIn,
) -> None:
    for email in ("Jane.Doe@gmail.com", "janet@example.com", "bob@example.com"):
        similar_kratos.add_identity(email)
    answer = _similar(similar_kratos, "Jan")
    assert answer.supported and answer.complete and answer.note == ""
    assert sorted(match.identifier for match in answer.matches) == ["jane.doe@gmail.com", "janet@example.com"]
    assert similar_kratos.similar_searches() == [["jan"]]  # lower-cased, like Kratos's identifiers
    assert similar_kratos.identity_queries[-1]["page_size"] == ["500"]


def test_similar_search_rejected_is_unsupported_not_an_error(similar_kratos: KratosStandIn) -> None:
    similar_kratos.add_identity("jane@example.com")
    similar_kratos.similar_search = "rejected"
    answer = _similar(similar_kratos, "jan")
    assert not answer.supported and answer.matches == []
    assert "refused" in answer.note and SIMILAR_PARAM in answer.note


def test_similar_search_ignored_by_an_older_kratos_matches_nobody(similar_kratos: KratosStandIn) -> None:
    for email in ("bob@example.com", "alice@example.com", "jane@example.com"):
        similar_kratos.add_identity(email)
    similar_kratos.similar_search = "ignored"  # v1.0: the first page of everyone, credentials not expanded
    answer = _similar(similar_kratos, "jan")
    assert not answer.supported and answer.matches == []
    assert "ignored" in answer.note


def test_similar_search_with_some_unrelated_results_is_not_a_prefix_search() -> None:
    listed: list[Any] = [
        {"id": "1", "credentials": {"password": {"identifiers": ["jane@example.com"]}}},
        {"id": "2", "credentials": {"password": {"identifiers": ["bob@example.com"]}}},
    ]
    matches = [SimilarMatch("jane@example.com", listed[0])]
    answer = judged("jan", listed, matches, complete=True)
    assert not answer.supported and answer.matches == matches
    assert "only 1 of the 2 identities" in answer.note


def test_similar_search_cut_at_its_page_says_so(similar_kratos: KratosStandIn) -> None:
    for n in range(3):
        similar_kratos.add_identity(f"jane{n}@example.com")
    answer = _similar(similar_kratos, "jan", page_size=2)
    assert answer.supported and not answer.complete
    assert len(answer.matches) == 2
    assert "At least 2 identities start with `jan`" in answer.note


def test_similar_search_other_http_errors_stay_kratos_errors(similar_kratos: KratosStandIn) -> None:
    similar_kratos.fail_with = 400  # a 400 that does not name the parameter
    with pytest.raises(KratosError, match="HTTP 400"):
        _similar(similar_kratos, "jan")


def test_newest_message_is_one_request_for_one_message(similar_kratos: KratosStandIn) -> None:
    similar_kratos.add_message("jane@example.com", status="sent", age_s=86400 * 90)
    similar_kratos.add_message("jane@example.com", status="abandoned", age_s=60)

    async def run() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        async with httpx.AsyncClient(base_url=similar_kratos.admin_url, timeout=2) as http:
            admin = KratosAdmin(http)
            return await admin.newest_message("Jane@Example.com"), await admin.newest_message("x@example.com")

    newest, none = asyncio.run(run())
    assert newest is not None and newest["status"] == "abandoned" and none is None
    listings = [p for _, p in similar_kratos.requests if p.startswith("/admin/courier/messages?")]
    assert len(listings) == 2 and all("page_size=1" in p for p in listings)
