"""SMTP2GO: the account's recent mail, counted per mailbox-provider group (reference/providers.md §11.4).

One `POST /activity/search` scan of the window serves both sides of the comparison: the group and
"all other mail" come from the same events, grouped by recipient domain here (`search_recipient` per
group domain would cost one scan per domain and still need this one for the other side). Asked with
`only_latest` (one event per email) and counted per email by its strongest event anyway, in case an
email shows several. `soft-bounced` is SMTP2GO's temporary failure: a deferral.

Budget: `/activity/search` allows 60 requests a minute. Calls per aggregate: at most `PAGE_CAP` (3)
pages of 1,000 events, at most once a minute per group through the cache.
"""

from __future__ import annotations

from typing import Any

from workers.providers.base import iso, strip_smtp_prefix
from workers.providers.http import ProviderHttp
from workers.providers.smtp2go_api import EVENTS, ActivityAnswer, post
from workers.providers.traffic import Sighting, Traffic, TrafficQuery, count, domain_of

PAGE_SIZE = 1000  # the API maximum
PAGE_CAP = 3
_SEARCHED = ["processed", "delivered", "soft-bounced", "hard-bounced"]


async def read_traffic(http: ProviderHttp, query: TrafficQuery) -> Traffic:
    body: dict[str, Any] = {
        "start_date": iso(query.since),  # RFC 3339, UTC; the range includes start and excludes end
        "end_date": iso(query.now),
        "event_types": _SEARCHED,
        "limit": PAGE_SIZE,
        "only_latest": True,
    }
    traffic = Traffic()
    sightings: list[Sighting] = []
    for _ in range(PAGE_CAP):
        page = http.parse(ActivityAnswer, await post(http, "/activity/search", body)).data
        for item in page.events:
            kind = EVENTS.get(item.event)
            if kind is None or not item.recipient or item.date < query.since:
                continue
            reply = strip_smtp_prefix(item.smtp_response) or strip_smtp_prefix(item.reason)
            sightings.append(Sighting(item.email_id, domain_of(item.recipient), kind, item.date, reply))
        if not page.continue_token:
            break
        body["continue_token"] = page.continue_token
    else:
        traffic.capped = True
        traffic.notes.append(
            f"SMTP2GO activity scan stopped after {PAGE_CAP * PAGE_SIZE} events of the last "
            f"{query.window_hours} h"
        )
    count(sightings, query, traffic)
    return traffic
