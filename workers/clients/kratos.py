"""The Kratos admin API, as far as the diagnostics need it (reference/olympus_kratos.md §2, §4.5).

Only metadata is read: message bodies and subjects are dropped as soon as a response is parsed.
The similar search's answer is judged in `kratos_similar.py`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from workers.clients.kratos_misdirected import misdirection
from workers.clients.kratos_similar import (
    REFUSED_NOTE,
    SIMILAR_PARAM,
    SimilarAnswer,
    SimilarMatch,
    judged,
    login_identifiers,
)
from workers.clients.tls import client_tls_context
from workers.core.settings import KratosInstance, Settings
from workers.core.times import parse_time
from workers.core.url_text import shown_url

PAGE_SIZE = 100  # explicit: Kratos's real default is 10 whatever the spec says
MAX_PAGE_SIZE = 500  # what Kratos's keyset paging allows at most
MAX_PAGES = 20  # bounded paging; 2 000 messages for one recipient inside the window is plenty
# The whole queue of one status (the watch, /mailcheck status): Kratos's largest pages, 10 000 at most.
QUEUE_PAGES = 20
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_MESSAGE_FIELDS = (
    "id",
    "status",
    "type",
    "recipient",
    "template_type",
    "send_count",
    "created_at",
    "updated_at",
)
_DISPATCH_FIELDS = ("id", "status", "created_at")


@dataclass(frozen=True)
class Listing:
    """Courier messages of one listing, newest first; `complete` False when it stopped at its page cap,
    so that the counts are lower bounds ("at least N") and older messages were not seen."""

    messages: list[dict[str, Any]]
    complete: bool


class KratosError(Exception):
    """Kratos could not be examined: unreachable, slow, or answering something that is not Kratos."""

    def details(self) -> dict[str, str]:
        """Detail keys a check adds to its `error` result."""
        return {}


class KratosConfigError(KratosError):
    """KRATOS_ADMIN_URL points at something that is not the Kratos admin API (auth proxy, public port, web UI)."""

    def __init__(self, text: str, *, setting: str) -> None:
        super().__init__(text)
        self.setting = setting

    def details(self) -> dict[str, str]:
        return {"error": "config", "setting": self.setting}


def kratos_time(value: str) -> datetime:
    """A timestamp from a Kratos answer; an unreadable one is a KratosError."""
    try:
        return parse_time(value)
    except ValueError as exc:
        raise KratosError(f"Kratos answered an unreadable timestamp {value!r}") from exc


def _message_metadata(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or "status" not in raw:
        raise KratosError("Kratos answered a courier message in an unexpected shape")
    return {key: raw.get(key) for key in _MESSAGE_FIELDS}


def dispatch_error_text(error: Any) -> str:
    """The human part of a herodot error as Kratos records it on a failed dispatch."""
    if isinstance(error, dict):
        parts = [str(error[key]) for key in ("message", "reason") if error.get(key)]
        return ": ".join(parts)
    return "" if error is None else str(error)


class KratosAdmin:
    def __init__(self, client: httpx.AsyncClient, *, setting: str = "KRATOS_ADMIN_URL") -> None:
        self._client = client
        self._setting = setting  # where its URL is configured, for errors that say what to fix

    async def _get(
        self, url: str, params: dict[str, Any] | None = None, *, allow: tuple[int, ...] = ()
    ) -> httpx.Response:
        """A GET whose transport failures, misdirections and HTTP errors (but the `allow`ed statuses)
        are KratosErrors."""
        try:
            response = await self._client.get(url, params=params)
        except httpx.TimeoutException as exc:
            raise KratosError(f"Kratos admin API timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            where = shown_url(self._client.base_url)
            raise KratosError(f"Kratos admin API unreachable at {self._setting} ({where}): {exc}") from exc
        wrong = misdirection(response, api="admin", base_url=self._client.base_url, setting=self._setting)
        if wrong is not None:
            raise KratosConfigError(wrong, setting=self._setting)
        if response.status_code >= 400 and response.status_code not in allow:
            raise KratosError(
                f"Kratos admin API answered HTTP {response.status_code} for {response.url.path}"
            )
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise KratosError(
                f"Kratos admin API answered something that is not JSON for {response.url.path}"
            ) from exc

    async def find_identity(self, email: str) -> dict[str, Any] | None:
        response = await self._get("/admin/identities", {"credentials_identifier": email.lower()})
        body = self._json(response)
        if not isinstance(body, list) or any(not isinstance(item, dict) for item in body):
            raise KratosError("Kratos answered the identity list in an unexpected shape")
        return body[0] if body else None

    async def similar_identities(self, prefix: str, *, page_size: int = MAX_PAGE_SIZE) -> SimilarAnswer:
        """One page (the first `page_size`) of the identities whose login identifier starts with `prefix`
        (`preview_credentials_identifier_similar`, one request). Other failures are KratosErrors."""
        wanted = prefix.strip().lower()
        params = {SIMILAR_PARAM: wanted, "page_size": page_size}
        response = await self._get("/admin/identities", params, allow=(400,))
        if response.status_code == 400:
            if SIMILAR_PARAM not in response.text:
                raise KratosError("Kratos admin API answered HTTP 400 for /admin/identities")
            return SimilarAnswer([], supported=False, note=REFUSED_NOTE)
        body = self._json(response)
        if not isinstance(body, list) or any(not isinstance(item, dict) for item in body):
            raise KratosError("Kratos answered the identity list in an unexpected shape")
        matches = [
            SimilarMatch(identifier, identity)
            for identity in body
            for identifier in dict.fromkeys(login_identifiers(identity))
            if identifier.lower().startswith(wanted)
        ]
        complete = self._next_page(response) is None and len(body) < page_size
        return judged(wanted, body, matches, complete)

    async def courier_messages(
        self,
        recipient: str | None,
        *,
        since: datetime,
        status: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Messages (to `recipient`, with `status`, when given), newest first, while newer than `since`;
        `page_size` defaults to PAGE_SIZE (the watch asks for MAX_PAGE_SIZE)."""
        first: dict[str, Any] = {"page_size": page_size or PAGE_SIZE}
        if recipient is not None:
            first["recipient"] = recipient.lower()
        if status is not None:
            first["status"] = status
        url: str | None = "/admin/courier/messages"
        params: dict[str, Any] | None = first
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = await self._get(url, params)
            body = self._json(response)
            if not isinstance(body, list):
                raise KratosError("Kratos answered the courier message list in an unexpected shape")
            for raw in body:
                message = _message_metadata(raw)
                if kratos_time(str(message["created_at"])) < since:
                    return
                yield message
            url, params = self._next_page(response), None

    async def newest_message(self, recipient: str) -> dict[str, Any] | None:
        """The newest courier message to `recipient`, whatever its age (one request for one message)."""
        params = {"page_size": 1, "recipient": recipient.lower()}
        body = self._json(await self._get("/admin/courier/messages", params))
        if not isinstance(body, list):
            raise KratosError("Kratos answered the courier message list in an unexpected shape")
        return _message_metadata(body[0]) if body else None

    async def queue(self, status: str, *, since: datetime | None = None) -> Listing:
        """Every message with `status`, newest first (created since `since` when given), in Kratos's
        largest pages up to QUEUE_PAGES: the courier's whole queue, however old its messages are."""
        url: str | None = "/admin/courier/messages"
        params: dict[str, Any] | None = {"page_size": MAX_PAGE_SIZE, "status": status}
        messages: list[dict[str, Any]] = []
        for _ in range(QUEUE_PAGES):
            response = await self._get(str(url), params)
            body = self._json(response)
            if not isinstance(body, list):
                raise KratosError("Kratos answered the courier message list in an unexpected shape")
            for raw in body:
                message = _message_metadata(raw)
                if since is not None and kratos_time(str(message["created_at"])) < since:
                    return Listing(messages, complete=True)
                messages.append(message)
            url, params = self._next_page(response), None
            if url is None:
                return Listing(messages, complete=True)
        return Listing(messages, complete=False)

    @staticmethod
    def _next_page(response: httpx.Response) -> str | None:
        """The next page's path and query. The host in the Link header is ignored on purpose: we only
        ever talk to the configured KRATOS_ADMIN_URL, whatever base URL Kratos believes it has."""
        match = _NEXT_LINK.search(response.headers.get("link", ""))
        if not match:
            return None
        target = urlsplit(match.group(1))
        return f"{target.path}?{target.query}" if target.query else target.path

    async def dispatches(self, message_id: str) -> list[dict[str, Any]]:
        """The dispatch attempts of one message, newest first, with the error text only."""
        body = self._json(await self._get(f"/admin/courier/messages/{message_id}"))
        if not isinstance(body, dict):
            raise KratosError("Kratos answered a courier message in an unexpected shape")
        raw_dispatches = body.get("dispatches") or []
        if not isinstance(raw_dispatches, list):
            raise KratosError("Kratos answered a dispatch list in an unexpected shape")
        return [
            {**{key: d.get(key) for key in _DISPATCH_FIELDS}, "error": dispatch_error_text(d.get("error"))}
            for d in raw_dispatches
            if isinstance(d, dict)
        ]


@asynccontextmanager
async def kratos_admin(
    settings: Settings, *, timeout: float, instance: KratosInstance | None = None
) -> AsyncIterator[KratosAdmin]:
    """A client of one instance's admin API (the first, i.e. KRATOS_ADMIN_URL, when none is named) for
    one report or job; `timeout` bounds each request."""
    target = instance or settings.instances[0]
    async with httpx.AsyncClient(
        base_url=target.admin_url, timeout=httpx.Timeout(timeout), verify=client_tls_context()
    ) as http:
        yield KratosAdmin(http, setting=target.setting("admin"))


@asynccontextmanager
async def kratos_admins(settings: Settings, *, timeout: float) -> AsyncIterator[dict[str, KratosAdmin]]:
    """A client of every instance's admin API (SPEC §12), by instance name, in the configured order."""
    async with AsyncExitStack() as stack:
        yield {
            instance.name: await stack.enter_async_context(
                kratos_admin(settings, timeout=timeout, instance=instance)
            )
            for instance in settings.instances
        }
