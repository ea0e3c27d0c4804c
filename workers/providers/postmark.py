"""Postmark: what it saw of mail to one recipient (reference/providers.md §2); the sender domain and the
24-hour aggregate are in `postmark_domains` and `postmark_traffic`.

Four server-token calls run together: outbound message search by recipient, the Bounce API (the only
place with the receiving server's SMTP text for a bounce), the stream's suppression dump, and
`GET /server` for the dashboard link. The newest few messages then get their event timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from pydantic import BaseModel

from workers.providers import postmark_domains, postmark_traffic
from workers.providers.adapter import ProviderAdapter, Recipient
from workers.providers.base import (
    DeliveryEvent,
    MessageEvent,
    ProviderRecord,
    ProviderSpec,
    ProviderTime,
    RemovalOutcome,
    RemovalResult,
    Suppression,
    strip_smtp_prefix,
    with_server,
)
from workers.providers.http import ProviderError, ProviderHttp, concurrently
from workers.providers.postmark_bounces import Bounce, BouncePage, bounce_type

SPEC = ProviderSpec(
    name="postmark",
    label="Postmark",
    base_url="https://api.postmarkapp.com",
    auth_header="X-Postmark-Server-Token",
)
MESSAGE_COUNT = 50  # per search; the API allows 500, but 50 messages in a week is already a loop
BOUNCE_COUNT = 50
DETAILED_MESSAGES = 5  # each timeline is one more request; older messages keep status + bounces
# [3p] Seen in several public integrations, not in Postmark's docs: the activity page of one message.
DASHBOARD_URL = "https://account.postmarkapp.com/servers/{server}/streams/{stream}/messages/{id}"

# MessageEvents types that carry the receiving server's reply (Opened, LinkClicked, … add nothing).
_DELIVERY_EVENTS = {"Delivered": DeliveryEvent.DELIVERED, "Transient": DeliveryEvent.DEFERRED}


class _Outbound(BaseModel):
    MessageID: str
    ReceivedAt: ProviderTime
    Status: str | None = None
    Recipients: list[str] | None = None


class _OutboundPage(BaseModel):
    Messages: list[_Outbound]


class _EventDetails(BaseModel):
    DeliveryMessage: str | None = None
    DestinationServer: str | None = None
    Summary: str | None = None
    BounceID: str | int | None = None


class _Event(BaseModel):
    Type: str
    ReceivedAt: ProviderTime
    Recipient: str | None = None
    Details: _EventDetails | None = None


class _MessageDetails(BaseModel):
    MessageEvents: list[_Event] = []


class _Suppressed(BaseModel):
    EmailAddress: str
    SuppressionReason: str
    CreatedAt: ProviderTime | None = None


class _SuppressionDump(BaseModel):
    Suppressions: list[_Suppressed]


class _Server(BaseModel):
    ID: int


async def fetch(
    http: ProviderHttp, recipient: Recipient, *, since: datetime, now: datetime
) -> ProviderRecord:
    email, stream = recipient.email, recipient.stream
    async with concurrently() as group:
        listed = group.create_task(_messages(http, email, since, stream))
        bounces = group.create_task(_bounces(http, email, since, stream))
        suppression = group.create_task(_suppression(http, email, stream))
        server = group.create_task(_server_id(http))
    record = ProviderRecord(suppression=suppression.result())
    by_id = {bounce.ID: bounce for bounce in bounces.result()}
    for message in listed.result():
        record.sent_at[message.MessageID] = message.ReceivedAt
        record.events.append(
            MessageEvent(message.MessageID, _listed_type(message.Status), message.ReceivedAt)
        )
    newest = [m.MessageID for m in listed.result()[:DETAILED_MESSAGES]]
    async with concurrently() as group:
        timelines = [group.create_task(_timeline(http, mid, email, by_id)) for mid in newest]
    used = {bounce_id for task in timelines for bounce_id in task.result()[1]}
    for task in timelines:
        record.events.extend(task.result()[0])
    for bounce in by_id.values():
        event = _bounce_event(bounce) if bounce.ID not in used and bounce.MessageID else None
        if event is not None:
            record.events.append(event)
    if server.result() is not None:
        for message_id in {e.message_id for e in record.events}:
            record.dashboard_urls[message_id] = DASHBOARD_URL.format(
                server=server.result(), stream=quote(stream, safe=""), id=quote(message_id, safe="")
            )
    return record


def _window(since: datetime) -> str:
    # Postmark reads fromdate in US Eastern time; a day of slack keeps the window whole, and the
    # timeline drops what is older than `since` anyway.
    return (since - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")


async def _messages(http: ProviderHttp, email: str, since: datetime, stream: str) -> list[_Outbound]:
    params: dict[str, str | int] = {"recipient": email, "count": MESSAGE_COUNT, "offset": 0}
    params |= {"fromdate": _window(since), "messagestream": stream}
    page = http.parse(_OutboundPage, await http.get_json("/messages/outbound", params))
    # The filter may match more than the address (as emailFilter does): keep the recipient's own.
    mine = [m for m in page.Messages if m.Recipients is None or email in {r.lower() for r in m.Recipients}]
    return sorted(mine, key=lambda m: m.ReceivedAt, reverse=True)


async def _bounces(http: ProviderHttp, email: str, since: datetime, stream: str) -> list[Bounce]:
    params: dict[str, str | int] = {"emailFilter": email, "count": BOUNCE_COUNT, "offset": 0}
    params |= {"fromdate": _window(since), "messagestream": stream}
    page = http.parse(BouncePage, await http.get_json("/bounces", params))
    return [b for b in page.Bounces if b.Email.lower() == email]  # emailFilter is a "contains" match


async def _suppression(http: ProviderHttp, email: str, stream: str) -> Suppression | None:
    path = f"/message-streams/{quote(stream, safe='')}/suppressions/dump"
    dump = http.parse(_SuppressionDump, await http.get_json(path, {"EmailAddress": email}))
    for entry in dump.Suppressions:
        if entry.EmailAddress.lower() == email:
            removable = entry.SuppressionReason != "SpamComplaint"  # [doc] Postmark refuses those
            return Suppression(entry.SuppressionReason, entry.CreatedAt, removable)
    return None


async def _server_id(http: ProviderHttp) -> int | None:
    """Only for the dashboard link, so its failure costs the link and nothing else."""
    try:
        return http.parse(_Server, await http.get_json("/server")).ID
    except ProviderError:
        return None


async def _timeline(
    http: ProviderHttp, message_id: str, email: str, bounces: dict[int, Bounce]
) -> tuple[list[MessageEvent], set[int]]:
    """One message's events for our recipient, and the bounce ids they account for."""
    path = f"/messages/outbound/{quote(message_id, safe='')}/details"
    details = http.parse(_MessageDetails, await http.get_json(path))
    events: list[MessageEvent] = []
    used: set[int] = set()
    for item in details.MessageEvents:
        if item.Recipient and item.Recipient.lower() != email:  # a message may have other recipients
            continue
        info = item.Details or _EventDetails()
        if item.Type == "Bounced":
            bounce = bounces.get(_int(info.BounceID))
            if bounce is None:  # beyond the bounce search: the summary is all there is
                events.append(
                    MessageEvent(message_id, DeliveryEvent.BOUNCED_HARD, item.ReceivedAt, info.Summary)
                )
                continue
            used.add(bounce.ID)
            event = _bounce_event(bounce, message_id)
            events.extend([event] if event else [])
        elif item.Type in _DELIVERY_EVENTS:
            reply = with_server(strip_smtp_prefix(info.DeliveryMessage), info.DestinationServer)
            events.append(MessageEvent(message_id, _DELIVERY_EVENTS[item.Type], item.ReceivedAt, reply))
    return events, used


def _int(value: str | int | None) -> int:
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def _bounce_event(bounce: Bounce, message_id: str | None = None) -> MessageEvent | None:
    kind = bounce_type(bounce)
    if kind is None:
        return None
    reply = strip_smtp_prefix(bounce.Details) or bounce.Description
    return MessageEvent(message_id or bounce.MessageID or str(bounce.ID), kind, bounce.BouncedAt, reply)


def _listed_type(status: str | None) -> DeliveryEvent:
    # "Blocked" is Postmark refusing to send to an inactive address (assumption from the SDK enum).
    return DeliveryEvent.SUPPRESSED if status == "Blocked" else DeliveryEvent.SENT


async def remove(http: ProviderHttp, recipient: Recipient) -> RemovalResult:
    email, stream = recipient.email, recipient.stream
    path = f"/message-streams/{quote(stream, safe='')}/suppressions/delete"
    body = await http.post_json(path, {"Suppressions": [{"EmailAddress": email}]})
    entries = body.get("Suppressions") if isinstance(body, dict) else None
    entry = next((e for e in entries or [] if isinstance(e, dict)), None)
    if entry is None:
        return RemovalResult(RemovalOutcome.ERROR, "Postmark did not confirm the removal")
    if entry.get("Status") == "Deleted":
        return RemovalResult(RemovalOutcome.REMOVED, "Postmark lifted the suppression (takes about a minute)")
    return RemovalResult(
        RemovalOutcome.REFUSED, http.shown(f"Postmark refused: {entry.get('Message') or 'no reason'}")
    )


ADAPTER = ProviderAdapter(
    SPEC,
    fetch=fetch,
    remove=remove,
    domains=postmark_domains.READER,
    traffic=postmark_traffic.read_traffic,
    key_hint="POSTMARK_ACCOUNT_TOKEN for the sender domain's verification",
)
