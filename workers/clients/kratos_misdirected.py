"""Answers that show a Kratos URL setting (KRATOS_ADMIN_URL, KRATOS_PUBLIC_URL, or an instance of
KRATOS_INSTANCES) points at something other than Kratos's API.

Kratos itself never asks for credentials on these routes (its admin API has no authentication in the
open-source build; the self-service API flows need none), answers an unknown route with Go's plain-text
"404 page not found", and speaks only JSON. So a 401/403, a redirect, a 404 that is not Kratos's own JSON
error, or an HTML page means the URL setting is wrong, and the sentence says which setting and what it
probably points at (SPEC §5 "Configuration mistakes name the setting"). Olympus's ports are in
reference/olympus_kratos.md §4.1: public 3100/4100, admin 3101/4101.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from workers.core.url_text import is_html, shown_url

Api = Literal["admin", "public"]


@dataclass(frozen=True)
class _Side:
    label: str
    other: str
    ports: dict[int, int]  # Olympus port of this API when the URL names the other one → the right port
    wrong_ports: tuple[int, int]  # (the other API, this API) in Olympus, for the generic hint


_SIDES: dict[Api, _Side] = {
    "admin": _Side("admin API", "public API", {3100: 3101, 4100: 4101}, (3100, 3101)),
    "public": _Side("public API", "admin API", {3101: 3100, 4101: 4100}, (3101, 3100)),
}


def misdirection(response: httpx.Response, *, api: Api, base_url: httpx.URL, setting: str) -> str | None:
    """A sentence naming `setting`, where `base_url` is configured (KratosInstance.setting), as the one
    to fix when `response` cannot have come from Kratos's `api`."""
    side, status, path = _SIDES[api], response.status_code, response.url.path
    where = f"{setting} ({shown_url(base_url)})"
    if status in (401, 403, 407):
        return (
            f"Kratos {side.label} answered {status} for {path}: an authenticating proxy is in front of it "
            f"(Kratos asks for no login there); point {where} at Kratos's {side.label} port directly"
            + (" or through an SSH tunnel" if api == "admin" else "")
        )
    if response.is_redirect or (status == 404 and (not _kratos_error(response) or _is_list_route(api, path))):
        return f"Kratos answered {status} for {path}: {where} probably {_elsewhere(side, base_url)}"
    if status < 500 and is_html(response):
        return (
            f"Kratos {side.label} answered an HTML page for {path} (HTTP {status}), not JSON: {where} "
            f"probably points at a web UI or a proxy's login page, not the Kratos {side.label}"
        )
    return None


def _elsewhere(side: _Side, base_url: httpx.URL) -> str:
    port = base_url.port
    if port in side.ports:
        hint = (
            f"points at the {side.other} (port {port} in Olympus), not the {side.label} ({side.ports[port]})"
        )
    else:
        other, this = side.wrong_ports
        hint = f"points at the {side.other} (in Olympus port {other}) rather than the {side.label} ({this})"
    prefix = base_url.path.rstrip("/")
    return hint + (f", or its path prefix {prefix} is wrong" if prefix else "")


# The admin API's list routes answer a list, never 404: a 404 there, even in Kratos's own JSON error
# envelope (the public router answers unknown routes that way), means the URL is not the admin API.
_ADMIN_LIST_ROUTES = ("/admin/identities", "/admin/courier/messages")


def _is_list_route(api: Api, path: str) -> bool:
    return api == "admin" and path.rstrip("/").endswith(_ADMIN_LIST_ROUTES)


def _kratos_error(response: httpx.Response) -> bool:
    """Kratos's own JSON error envelope: a 404 about a missing resource, not a missing route."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]
