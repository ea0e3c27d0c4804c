"""KRATOS_ADMIN_URL pointing at an auth proxy, the public port or a web page: the checks name the setting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from tests.standins.kratos import KratosStandIn, Misdirection
from workers.checks.courier import check_courier
from workers.checks.courier_status import courier_status
from workers.checks.identity import check_identity
from workers.clients.kratos import KratosAdmin, KratosConfigError, KratosError
from workers.clients.kratos_misdirected import misdirection
from workers.report.model import CheckResult, Status

SECRET = "s3cr3t-pass"
# What each misdirection must make the summary say, beyond the setting and the URL.
SAYS: dict[Misdirection, tuple[str, ...]] = {
    "auth_proxy": ("answered 401 for /admin/", "an authenticating proxy is in front of it", "SSH tunnel"),
    "public_port": ("answered 404 for /admin/", "probably points at the public API", "admin API (3101)"),
    "login_page": ("answered an HTML page for /admin/", "a web UI or a proxy's login page"),
}


@pytest.fixture
def misdirected(kratos: KratosStandIn, request: pytest.FixtureRequest) -> Iterator[KratosStandIn]:
    kratos.misdirected = request.param
    try:
        yield kratos
    finally:
        kratos.misdirected = None


def _with_admin(standin: KratosStandIn, use: Callable[[KratosAdmin], Awaitable[CheckResult]]) -> CheckResult:
    # Credentials in the URL (an SSH tunnel's proxy, say) must never reach a summary.
    url = standin.admin_url.replace("http://", f"http://mailcheck:{SECRET}@")

    async def run() -> CheckResult:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            return await use(KratosAdmin(http))

    return asyncio.run(run())


def _assert_names_the_admin_url(result: CheckResult, standin: KratosStandIn, mode: Misdirection) -> None:
    assert result.status is Status.ERROR
    assert f"KRATOS_ADMIN_URL ({standin.admin_url})" in result.summary
    for phrase in SAYS[mode]:
        assert phrase in result.summary, result.summary
    assert result.details == {"error": "config", "setting": "KRATOS_ADMIN_URL"}
    assert SECRET not in json.dumps(result.to_dict())
    assert "_" not in result.summary.replace("KRATOS_ADMIN_URL", "")  # a sentence, no finding code


@pytest.mark.parametrize("misdirected", list(SAYS), indirect=True)
def test_identity_names_kratos_admin_url(misdirected: KratosStandIn) -> None:
    result = _with_admin(misdirected, lambda kratos: check_identity("user@example.com", kratos=kratos))
    _assert_names_the_admin_url(result, misdirected, misdirected.misdirected or "auth_proxy")


@pytest.mark.parametrize("misdirected", list(SAYS), indirect=True)
def test_courier_names_kratos_admin_url(misdirected: KratosStandIn) -> None:
    result = _with_admin(
        misdirected,
        lambda kratos: check_courier("user@example.com", kratos=kratos, lookback_days=7, stuck_after=120),
    )
    _assert_names_the_admin_url(result, misdirected, misdirected.misdirected or "auth_proxy")
    assert "/admin/courier/messages" in result.summary


@pytest.mark.parametrize("misdirected", ["public_port"], indirect=True)
def test_status_command_gets_the_same_sentence(misdirected: KratosStandIn) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(base_url=misdirected.admin_url, timeout=5) as http:
            await courier_status(KratosAdmin(http), lookback_days=7, stuck_after=120)

    with pytest.raises(KratosConfigError, match=r"KRATOS_ADMIN_URL .* probably points at the public API"):
        asyncio.run(run())


def test_kratos_own_404_for_one_message_is_not_blamed_on_the_url(kratos: KratosStandIn) -> None:
    """A message that is gone is Kratos's JSON 404 on a route that exists: not a wrong URL. (A 404 on a
    list route is: lists never answer 404, see the test above.)"""

    async def run() -> str:
        async with httpx.AsyncClient(base_url=kratos.admin_url, timeout=5) as http:
            try:
                await KratosAdmin(http).dispatches("9d1f0000-0000-4000-8000-000000000000")
            except KratosConfigError as exc:
                return f"config: {exc}"
            except KratosError as exc:
                return str(exc)
        return "no error"

    kratos.fail_with = 404  # Kratos's JSON error: the route exists, the resource does not
    try:
        said = asyncio.run(run())
    finally:
        kratos.fail_with = None
    assert not said.startswith("config") and "KRATOS_ADMIN_URL" not in said and "HTTP 404" in said


def _answer(
    status: int, base: str, body: bytes = b"404 page not found\n", kind: str = "text/plain"
) -> httpx.Response:
    request = httpx.Request("GET", f"{base.rstrip('/')}/admin/identities")
    return httpx.Response(status, content=body, headers={"content-type": kind}, request=request)


@pytest.mark.parametrize(
    ("base", "says"),
    [
        ("http://kratos.internal:3100", "public API (port 3100 in Olympus), not the admin API (3101)"),
        ("http://kratos.internal:4100", "public API (port 4100 in Olympus), not the admin API (4101)"),
        ("https://ops.example.com/kratos-admin", "or its path prefix /kratos-admin is wrong"),
    ],
)
def test_the_hint_follows_the_configured_url(base: str, says: str) -> None:
    text = misdirection(
        _answer(404, base), api="admin", base_url=httpx.URL(base + "/"), setting="KRATOS_ADMIN_URL"
    )
    assert text is not None and says in text
    assert text.startswith("Kratos answered 404 for ")


def test_a_5xx_html_page_is_an_outage_not_a_wrong_url() -> None:
    page = _answer(502, "http://k:3101", b"<html><h1>502 Bad Gateway</h1></html>", "text/html")
    assert (
        misdirection(page, api="admin", base_url=httpx.URL("http://k:3101/"), setting="KRATOS_ADMIN_URL")
        is None
    )


def test_a_redirect_from_the_public_port_is_read_as_the_public_port() -> None:
    request = httpx.Request("GET", "http://kratos.internal:3100/admin/courier/messages")
    moved = httpx.Response(
        307, headers={"location": "http://ciam-kratos:5001/admin/courier/messages"}, request=request
    )
    text = misdirection(
        moved, api="admin", base_url=httpx.URL("http://kratos.internal:3100/"), setting="KRATOS_ADMIN_URL"
    )
    assert text == (
        "Kratos answered 307 for /admin/courier/messages: KRATOS_ADMIN_URL (http://kratos.internal:3100) "
        "probably points at the public API (port 3100 in Olympus), not the admin API (3101)"
    )


def test_the_public_url_at_the_admin_port_is_named() -> None:
    request = httpx.Request("GET", "http://kratos.internal:4101/self-service/recovery/api")
    missing = httpx.Response(404, content=b"404 page not found\n", request=request)
    text = misdirection(
        missing, api="public", base_url=httpx.URL("http://kratos.internal:4101/"), setting="KRATOS_PUBLIC_URL"
    )
    assert text is not None
    assert "KRATOS_PUBLIC_URL (http://kratos.internal:4101) probably points at the admin API" in text
    assert "(port 4101 in Olympus), not the public API (4100)" in text


def test_a_json_404_on_an_admin_list_route_names_the_setting() -> None:
    """Kratos's public router answers an unknown /admin/… route with its own JSON error: the list routes
    of the admin API never answer 404, so the setting is named (SPEC §5); it said "answered HTTP 404"."""
    body = {
        "error": {"code": 404, "status": "Not Found", "message": "The requested page could not be found."}
    }
    request = httpx.Request("GET", "http://kratos.internal:4100/admin/identities?credentials_identifier=a")
    missing = httpx.Response(404, json=body, request=request)
    setting = "KRATOS_INSTANCES (iam admin URL)"
    text = misdirection(
        missing, api="admin", base_url=httpx.URL("http://kratos.internal:4100/"), setting=setting
    )
    assert text is not None
    assert f"{setting} (http://kratos.internal:4100) probably points at the public API" in text
    one_message = httpx.Request("GET", "http://kratos.internal:4101/admin/courier/messages/9d1f")
    gone = httpx.Response(404, json=body, request=one_message)  # a message that is gone: Kratos's answer
    assert (
        misdirection(gone, api="admin", base_url=httpx.URL("http://kratos.internal:4101/"), setting=setting)
        is None
    )
