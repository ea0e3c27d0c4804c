"""Starting Kratos self-service flows with the code method, against the Kratos stand-in over HTTP."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.standins.kratos import KratosStandIn, Misdirection
from tests.standins.redis_server import free_port
from workers.core.settings import load_settings
from workers.remediation.code_flow import FlowResult, send_code, start_code_flow


def _start(
    kratos_api: KratosStandIn, kind: str, email: str, *, base_url: str | None = None, **client: object
) -> FlowResult:
    async def go() -> FlowResult:
        url = base_url or kratos_api.public_url
        async with httpx.AsyncClient(base_url=url, timeout=5, **client) as http:  # type: ignore[arg-type]
            return await start_code_flow(kind, email, http=http)

    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["verification", "recovery"])
def test_known_address_gets_a_fresh_code_message(kratos_api: KratosStandIn, kind: str) -> None:
    kratos_api.add_identity("user@example.com")
    result = _start(kratos_api, kind, "user@example.com")
    assert result.ok, result.detail
    assert kind in result.detail
    queued = [m for m in kratos_api.messages() if m["status"] == "queued"]
    assert [m["template_type"] for m in queued] == [f"{kind}_code_valid"]
    methods = [(method, path.split("?")[0]) for method, path in kratos_api.requests]
    assert methods == [("GET", f"/self-service/{kind}/api"), ("POST", f"/self-service/{kind}")]
    assert any("flow=" in path for method, path in kratos_api.requests if method == "POST")


def test_unknown_address_looks_the_same_but_queues_nothing(kratos_api: KratosStandIn) -> None:
    result = _start(kratos_api, "verification", "nobody@example.com")
    assert result.ok  # Kratos's anti-enumeration: the follow-up finds out that no mail came
    assert kratos_api.messages() == []


def test_code_method_and_address_are_sent_as_json(kratos_api: KratosStandIn) -> None:
    kratos_api.add_identity("user@example.com")
    bodies: list[dict[str, object]] = []

    async def record(request: httpx.Request) -> None:
        if request.method == "POST":
            bodies.append(json.loads(request.content))

    assert _start(kratos_api, "recovery", "user@example.com", event_hooks={"request": [record]}).ok
    assert bodies == [{"method": "code", "email": "user@example.com"}]


def test_refusal_carries_kratos_words(kratos_api: KratosStandIn) -> None:
    result = _start(kratos_api, "verification", "not-an-address")
    assert not result.ok
    assert "HTTP 400" in result.detail and "is not valid" in result.detail


def test_an_expired_flow_is_replaced_once(kratos_api: KratosStandIn) -> None:
    kratos_api.add_identity("user@example.com")

    async def expire_before_first_post(request: httpx.Request) -> None:
        if request.method == "POST" and not any(m == "POST" for m, _ in kratos_api.requests):
            kratos_api.expire_flows()

    result = _start(
        kratos_api, "verification", "user@example.com", event_hooks={"request": [expire_before_first_post]}
    )
    assert result.ok, result.detail
    assert [m for m, _ in kratos_api.requests].count("POST") == 2


def test_kratos_failing_or_gone_is_a_failure_not_an_exception(kratos_api: KratosStandIn) -> None:
    kratos_api.fail_with = 503
    failing = _start(kratos_api, "recovery", "user@example.com")
    assert not failing.ok and "HTTP 503" in failing.detail
    kratos_api.fail_with = None
    kratos_api.garbage = True
    garbage = _start(kratos_api, "recovery", "user@example.com")
    assert not garbage.ok and "not JSON" in garbage.detail
    kratos_api.garbage = False
    url = kratos_api.public_url
    kratos_api.stop()

    async def gone() -> FlowResult:
        async with httpx.AsyncClient(base_url=url, timeout=2) as http:
            return await start_code_flow("recovery", "user@example.com", http=http)

    result = asyncio.run(gone())
    assert not result.ok and "unreachable" in result.detail


# What the flow must say when KRATOS_PUBLIC_URL reaches something that is not Kratos's public API.
MISDIRECTED: dict[Misdirection, tuple[str, ...]] = {
    "auth_proxy": ("answered 401 for /self-service/verification/api", "an authenticating proxy"),
    "admin_port": ("answered 404 for /self-service/verification/api", "probably points at the admin API"),
    "login_page": ("answered an HTML page", "a web UI or a proxy's login page"),
}


@pytest.mark.parametrize("mode", list(MISDIRECTED))
def test_a_wrong_public_url_names_kratos_public_url(kratos_api: KratosStandIn, mode: Misdirection) -> None:
    kratos_api.add_identity("user@example.com")
    kratos_api.misdirected = mode
    with_credentials = kratos_api.public_url.replace("http://", "http://mailcheck:s3cr3t-pass@")
    result = _start(kratos_api, "verification", "user@example.com", base_url=with_credentials)
    assert not result.ok
    assert f"KRATOS_PUBLIC_URL ({kratos_api.public_url})" in result.detail
    for phrase in MISDIRECTED[mode]:
        assert phrase in result.detail, result.detail
    assert "s3cr3t" not in result.detail and "mailcheck@" not in result.detail
    assert kratos_api.messages() == []  # nothing was sent


def test_an_unreachable_public_url_is_named(kratos_api: KratosStandIn) -> None:
    url = kratos_api.public_url
    kratos_api.stop()

    async def gone() -> FlowResult:
        async with httpx.AsyncClient(base_url=url.replace("http://", "http://u:s3cr3t@"), timeout=2) as http:
            return await start_code_flow("recovery", "user@example.com", http=http)

    result = asyncio.run(gone())
    assert not result.ok and f"unreachable at KRATOS_PUBLIC_URL ({url})" in result.detail
    assert "s3cr3t" not in result.detail


def test_an_instance_of_kratos_instances_is_named_where_its_public_url_is_set(
    kratos_api: KratosStandIn,
) -> None:
    """The button acts on the report's instance; when its public URL answers nothing, the answer
    names KRATOS_INSTANCES, where that URL is set, not KRATOS_PUBLIC_URL."""
    nothing = f"http://127.0.0.1:{free_port()}"
    settings = load_settings({"kratos_instances": f"iam={kratos_api.admin_url}|{nothing}"})
    (instance,) = settings.instances

    result = asyncio.run(send_code(settings, "recovery", "user@example.com", instance))

    assert not result.ok
    assert f"unreachable at KRATOS_INSTANCES (iam public URL) ({nothing})" in result.detail
    assert "KRATOS_PUBLIC_URL" not in result.detail
