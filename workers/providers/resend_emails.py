"""Resend's list of sent emails, the one source both Resend questions scan (reference/providers.md §1).

`GET /emails` has no recipient, status or date filter: it is paged newest first (`after` = the next,
older page) until an email is older than the window or the caller's page cap is reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from pydantic import BaseModel

from workers.providers.base import DeliveryEvent, ProviderSpec, ProviderTime
from workers.providers.http import ProviderHttp

SPEC = ProviderSpec(
    name="resend",
    label="Resend",
    base_url="https://api.resend.com",
    auth_header="Authorization",
    auth_scheme="Bearer ",
    reset_headers=("ratelimit-reset",),
)
PAGE_SIZE = 100  # the API maximum

# `last_event` → the event it implies. opened/clicked imply delivery; failed (quota), canceled and
# scheduled never reached a mail server and have no place in the vocabulary.
LAST_EVENT = {
    "delivered": DeliveryEvent.DELIVERED,
    "opened": DeliveryEvent.DELIVERED,
    "clicked": DeliveryEvent.DELIVERED,
    "delivery_delayed": DeliveryEvent.DEFERRED,
    "bounced": DeliveryEvent.BOUNCED_HARD,  # Resend: "permanently rejected"
    "complained": DeliveryEvent.COMPLAINED,
    "suppressed": DeliveryEvent.SUPPRESSED,
}


class Email(BaseModel):
    id: str
    to: list[str] | str | None = None
    created_at: ProviderTime
    last_event: str | None = None


class EmailPage(BaseModel):
    data: list[Email]
    has_more: bool = False


class Scan:
    """Emails since `since`, newest first, at most `page_cap` pages; `capped` tells whether it stopped
    at the cap with older emails of the window left unread."""

    def __init__(self, http: ProviderHttp, *, since: datetime, page_cap: int) -> None:
        self._http, self._since, self._page_cap = http, since, page_cap
        self.capped = False

    async def emails(self) -> AsyncIterator[Email]:
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        for _ in range(self._page_cap):
            page = self._http.parse(EmailPage, await self._http.get_json("/emails", params))
            for item in page.data:
                if item.created_at < self._since:  # newest first: everything after this is older
                    return
                yield item
            if not page.has_more or not page.data:
                return
            params = {"limit": PAGE_SIZE, "after": page.data[-1].id}
        self.capped = True


def addresses(to: list[str] | str | None) -> list[str]:
    values = [to] if isinstance(to, str) else (to or [])
    return [value for value in values if value]
