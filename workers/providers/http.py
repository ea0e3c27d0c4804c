"""The one HTTP path to every provider API: auth, deadline, 429 handling, and a small error family.

Every failure becomes a `ProviderError` whose text is short, names the provider, and never contains
the API key, so the check can put it straight into a `CheckResult.error`.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from workers.clients.tls import client_tls_context
from workers.core.scrub import scrub
from workers.core.url_text import is_html, shown_url
from workers.providers.base import ProviderSpec

M = TypeVar("M", bound=BaseModel)

# A 429 is retried at most this often, and only when its wait fits in the time left.
MAX_RATE_LIMIT_RETRIES = 3
# When a 429 names no wait at all, back off this long before the one retry it may get.
DEFAULT_RETRY_AFTER_S = 1.0
# Provider error text is shown to people; keep it to a line.
MAX_ERROR_TEXT = 160


class ProviderError(Exception):
    """The provider API could not be examined. `str()` is a short, key-free reason."""

    kind = "failed"
    setting: str | None = None  # the setting to fix, when the answer shows which


class ProviderAuthError(ProviderError):
    """The key was refused: a configuration error, not an outage."""

    kind = "config"
    setting = "MAIL_PROVIDER_API_KEY"


class ProviderKeyScope(ProviderError):
    """The key works but may not read this part (a sending-only key, an endpoint permission, an IP
    allow-list): that part is skipped with a note, never an error of the check."""

    kind = "key_scope"


class ProviderUrlError(ProviderError):
    """MAIL_PROVIDER_API_URL leads somewhere that is not the provider's API (no such path, a web page)."""

    kind = "config"
    setting = "MAIL_PROVIDER_API_URL"


class ProviderRateLimited(ProviderError):
    kind = "rate_limited"


class ProviderUnavailable(ProviderError):
    """5xx, connection refused, or no answer in time."""

    kind = "unavailable"


class ProviderBadAnswer(ProviderError):
    """The answer was not JSON, or not in the documented shape."""

    kind = "bad_answer"


class ProviderHttp:
    """One provider's API for the duration of one check, bounded by one deadline."""

    def __init__(
        self,
        spec: ProviderSpec,
        client: httpx.AsyncClient,
        *,
        secret: str,
        deadline: float,
        override: str | None = None,
    ):
        self.spec = spec
        self._client = client
        self._secret = secret
        self._deadline = deadline
        # MAIL_PROVIDER_API_URL as it may be shown, when it replaces the provider's public URL
        self._override = shown_url(override) if override else None

    @classmethod
    @asynccontextmanager
    async def open(
        cls, spec: ProviderSpec, *, api_key: str, api_url: str | None, timeout: float
    ) -> AsyncIterator[ProviderHttp]:
        base = (api_url or spec.base_url).rstrip("/")
        async with httpx.AsyncClient(
            base_url=base, headers=spec.headers(api_key), verify=client_tls_context()
        ) as client:
            yield cls(spec, client, secret=api_key, deadline=time.monotonic() + timeout, override=api_url)

    @property
    def label(self) -> str:
        return self.spec.label

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        passthrough: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Send, retrying 429s that fit the deadline; 2xx and `passthrough` statuses are returned."""
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            response = await self._send_once(method, path, params=params, json=json)
            if response.status_code != 429:
                break
            await self._wait_out_rate_limit(response, last_try=attempt == MAX_RATE_LIMIT_RETRIES)
        if response.is_success or (response.status_code in passthrough and _is_json(response)):
            return response  # a passthrough status that is not JSON is not the provider talking
        raise self._status_error(response)

    async def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.json_of(await self.request("GET", path, params=params))

    async def post_json(self, path: str, body: Any) -> Any:
        return self.json_of(await self.request("POST", path, json=body))

    async def scoped_json(
        self, method: str, path: str, *, params: Mapping[str, str | int] | None = None, json: Any = None
    ) -> Any:
        """For a part the key may not be allowed to read: 401/403 raise ProviderKeyScope in the
        provider's own words (a sending-only key, an IP allow-list), never ProviderAuthError."""
        response = await self.request(method, path, params=params, json=json, passthrough=(401, 403))
        body = self.json_of(response)
        if response.status_code in (401, 403):
            raise ProviderKeyScope(self.refusal(response.status_code, body))
        return body

    def refusal(self, status: int, body: Any) -> str:
        """ "<Label> answered <status> <its error name and message>", scrubbed and short."""
        said = body.get("data", body) if isinstance(body, dict) else {}
        said = said if isinstance(said, dict) else {}
        keys = ("name", "code", "error_code", "ErrorCode", "message", "Message", "error")
        words = " ".join(str(said[key]) for key in keys if said.get(key) not in (None, ""))
        return self.shown(f"{self.label} answered {status} {words}".strip())

    def json_of(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            if is_html(response):
                raise self._html_error(response) from None
            raise ProviderBadAnswer(f"{self.label} API answered with something that is not JSON") from None

    def parse(self, model: type[M], data: Any) -> M:
        """Validate an answer against the documented shape; the error names the field, never its value."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else {"loc": (), "type": "?"}
            where = ".".join(str(part) for part in first["loc"]) or "the top level"
            raise ProviderBadAnswer(
                f"{self.label} API answered in an unexpected shape ({first['type']} at {where})"
            ) from None

    def shown(self, text: str) -> str:
        """Text we did not write (a provider's error, a connection error), scrubbed of our key in case it
        echoes it back, on one line and short."""
        return " ".join(scrub(text, [self._secret]).split())[:MAX_ERROR_TEXT]

    def remaining(self) -> float:
        return self._deadline - time.monotonic()

    async def _send_once(
        self, method: str, path: str, *, params: Mapping[str, str | int] | None, json: Any
    ) -> httpx.Response:
        remaining = self.remaining()
        if remaining <= 0:
            raise ProviderUnavailable(f"{self.label} API did not answer in time")
        try:
            return await self._client.request(method, path, params=params, json=json, timeout=remaining)
        except httpx.TimeoutException:
            raise ProviderUnavailable(f"{self.label} API did not answer in time") from None
        except httpx.HTTPError as exc:
            reason = self.shown(str(exc)) or type(exc).__name__
            if self._override is None:
                raise ProviderUnavailable(f"{self.label} API unreachable: {reason}") from None
            raise ProviderUrlError(
                f"{self.label} API unreachable at MAIL_PROVIDER_API_URL ({self._override}): {reason}; "
                f"check that setting, or unset it to use {self.spec.base_url}"
            ) from None

    async def _wait_out_rate_limit(self, response: httpx.Response, *, last_try: bool) -> None:
        wait = retry_after_seconds(response.headers, self.spec.reset_headers)
        if wait is None:
            wait = DEFAULT_RETRY_AFTER_S
        if last_try or wait >= self.remaining():
            raise ProviderRateLimited(f"{self.label} API rate limit reached (retry in {wait:.0f} s)")
        await asyncio.sleep(wait)

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        if status in (401, 403):
            return ProviderAuthError(
                f"MAIL_PROVIDER_API_KEY was refused by {self.label} ({status}): "
                "a configuration error; check the key and its permissions"
            )
        if status >= 500:
            return ProviderUnavailable(f"{self.label} API is failing ({status})")
        if is_html(response):
            return self._html_error(response)
        if status == 404 and self._override is not None:
            return ProviderUrlError(
                f"{self.label} API answered 404 for {response.url.path}: MAIL_PROVIDER_API_URL "
                f"({self._override}) probably does not point at the {self.label} API ({self.spec.base_url})"
            )
        detail = self.shown(response.text)
        return ProviderError(
            f"{self.label} API refused the request ({status}){': ' + detail if detail else ''}"
        )

    def _html_error(self, response: httpx.Response) -> ProviderError:
        said = f"{self.label} API answered an HTML page for {response.url.path} (HTTP {response.status_code})"
        if self._override is None:
            return ProviderBadAnswer(f"{said}, not JSON: a proxy or web page is in the way")
        return ProviderUrlError(
            f"{said}, not JSON: MAIL_PROVIDER_API_URL ({self._override}) probably points at a web page "
            f"or a proxy, not the {self.label} API ({self.spec.base_url})"
        )


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def retry_after_seconds(headers: Mapping[str, str], reset_headers: tuple[str, ...]) -> float | None:
    """Seconds to wait from Retry-After (delta or HTTP date), else from a provider's reset header."""
    value = headers.get("retry-after")
    if value is not None:
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    for name in reset_headers:
        seconds = _seconds(headers.get(name))
        if seconds is not None:
            # Some providers send an epoch instant rather than a delta.
            return max(0.0, seconds - time.time()) if seconds > 1e9 else seconds
    return None


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds)


@asynccontextmanager
async def concurrently() -> AsyncIterator[asyncio.TaskGroup]:
    """A TaskGroup that re-raises its first failure as itself, so callers catch `ProviderError`."""
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from None


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
