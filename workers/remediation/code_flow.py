"""The "Resend verification" and "Send recovery" buttons: start a Kratos self-service flow with the code method, as the user would
(reference/olympus_kratos.md §1.3a/b). Kratos has no admin endpoint to send a verification code again.

    GET  {public}/self-service/{verification|recovery}/api        → flow {id, …}
    POST {public}/self-service/{verification|recovery}?flow=ID    {"method": "code", "email": …}

Kratos answers the same 200 whether or not the address belongs to an identity (anti-enumeration), so
success here only means Kratos took the request; the follow-up watches the courier for the mail.
Nothing of the answers is kept but the flow id and Kratos's own messages; the code never comes back
through this API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from workers.clients.kratos_misdirected import misdirection
from workers.clients.tls import client_tls_context
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import KRATOS_ACTION_TIMEOUT_S
from workers.core.url_text import shown_url

MESSAGE_TEXT_MAX = 200


@dataclass(frozen=True)
class FlowResult:
    ok: bool
    detail: str


class _FlowError(Exception):
    pass


async def send_code(
    settings: Settings, kind: str, email: str, instance: KratosInstance | None = None
) -> FlowResult:
    """start_code_flow against the instance's public URL (KRATOS_PUBLIC_URL by default); never raises."""
    timeout = httpx.Timeout(KRATOS_ACTION_TIMEOUT_S)
    target = instance or settings.instances[0]
    async with httpx.AsyncClient(
        base_url=target.public_url, timeout=timeout, verify=client_tls_context()
    ) as http:
        return await start_code_flow(kind, email, http=http, setting=target.setting("public"))


async def start_code_flow(
    kind: str, email: str, *, http: httpx.AsyncClient, setting: str = "KRATOS_PUBLIC_URL"
) -> FlowResult:
    """Ask Kratos to send a fresh `kind` ("verification" | "recovery") code to `email`; never raises.
    `setting` names where `http`'s base URL is configured, for errors that say what to fix."""
    api = _PublicApi(http, setting)
    try:
        flow_id = await _create_flow(api, kind)
        response = await _submit(api, kind, flow_id, email)
        if response.status_code == 410:  # the flow expired between the two calls: one fresh try
            flow_id = _json(response).get("use_flow_id") or await _create_flow(api, kind)
            response = await _submit(api, kind, str(flow_id), email)
    except _FlowError as exc:
        return FlowResult(False, str(exc))
    return _judge(kind, response)


async def _create_flow(api: _PublicApi, kind: str) -> str:
    response = await api.call("GET", f"/self-service/{kind}/api")
    if response.status_code != 200:
        raise _FlowError(f"Kratos answered HTTP {response.status_code} when asked for a {kind} flow")
    flow_id = _json(response).get("id")
    if not isinstance(flow_id, str) or not flow_id:
        raise _FlowError(f"Kratos answered a {kind} flow without an id")
    return flow_id


async def _submit(api: _PublicApi, kind: str, flow_id: str, email: str) -> httpx.Response:
    return await api.call(
        "POST",
        f"/self-service/{kind}",
        params={"flow": flow_id},
        json={"method": "code", "email": email},
    )


@dataclass(frozen=True)
class _PublicApi:
    http: httpx.AsyncClient
    setting: str  # where its URL is configured

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer, unless it shows the URL points at something that is not Kratos's public API."""
        http = self.http
        try:
            response = await http.request(method, path, headers={"Accept": "application/json"}, **kwargs)
        except httpx.TimeoutException:
            raise _FlowError("the Kratos public API did not answer in time") from None
        except httpx.HTTPError as exc:
            where = shown_url(http.base_url)
            raise _FlowError(
                f"the Kratos public API is unreachable at {self.setting} ({where}) ({type(exc).__name__})"
            ) from None
        wrong = misdirection(response, api="public", base_url=http.base_url, setting=self.setting)
        if wrong is not None:
            raise _FlowError(wrong)
        return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise _FlowError(
            f"Kratos answered HTTP {response.status_code} with something that is not JSON"
        ) from None
    return body if isinstance(body, dict) else {}


def _judge(kind: str, response: httpx.Response) -> FlowResult:
    try:
        body = _json(response)
    except _FlowError as exc:
        return FlowResult(False, str(exc))
    if response.status_code == 200 and body.get("state") == "sent_email":
        return FlowResult(True, f"Kratos accepted the {kind} request and queues a code email")
    said = "; ".join(_messages(body))
    reason = f": {said}" if said else ""
    return FlowResult(False, f"Kratos refused the {kind} request (HTTP {response.status_code}){reason}")


def _messages(body: dict[str, Any]) -> list[str]:
    """Kratos's own words: the flow's UI messages, its nodes' messages, or a herodot error."""
    ui: dict[str, Any] = body["ui"] if isinstance(body.get("ui"), dict) else {}
    found = [m for m in ui.get("messages") or [] if isinstance(m, dict)]
    for node in ui.get("nodes") or []:
        if isinstance(node, dict):
            found.extend(m for m in node.get("messages") or [] if isinstance(m, dict))
    texts = [str(m.get("text", "")) for m in found if m.get("type") == "error"]
    error = body.get("error")
    if isinstance(error, dict):
        texts.append(str(error.get("reason") or error.get("message") or ""))
    return [text[:MESSAGE_TEXT_MAX] for text in texts if text]
