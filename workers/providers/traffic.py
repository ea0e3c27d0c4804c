"""The account's mail of the last 24 hours, counted for one mailbox-provider group (SPEC §15).

Each adapter reads its provider's aggregate data and hands back a `Traffic`: how many messages went to
the recipient's mailbox-provider group and to everyone else, each message once by its outcome, and the
group's failure replies with every address scrubbed. Nothing here keeps a recipient address: only
domains, counts and scrubbed reply texts leave an adapter.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.asyncio import Redis as AsyncRedis

from workers.providers.base import DeliveryEvent, MessageEvent
from workers.providers.timeline import decisive_reply, outcome_of

WINDOW = timedelta(hours=24)
MAX_REPLY_TEXT = 300

# A message's outcome → how the aggregate counts it. A suppressed message never reached the mailbox
# provider, so it is not counted at all; a complaint means the mail was delivered.
_COUNTED: dict[DeliveryEvent, str] = {
    DeliveryEvent.BOUNCED_HARD: "bounced",
    DeliveryEvent.BOUNCED_SOFT: "bounced",
    DeliveryEvent.DEFERRED: "deferred",
    DeliveryEvent.DELIVERED: "accepted",
    DeliveryEvent.COMPLAINED: "accepted",
    DeliveryEvent.SENT: "accepted",
}

_ADDRESS = re.compile(r"<?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+>?")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}:?[0-9A-Fa-f]{1,4}(?![\w:])")
# Server names, queue ids and the like: long tokens mixing letters and digits differ per message.
_TOKEN = re.compile(r"(?<![\w.-])(?=[\w.-]*\d)(?=[\w.-]*[A-Za-z])[\w.-]{12,}(?![\w.-])")


@dataclass(frozen=True)
class TrafficQuery:
    group: frozenset[str]  # the recipient domains of the mailbox-provider group
    since: datetime
    now: datetime
    stream: str = "outbound"  # Postmark's message stream
    events: AsyncRedis | None = None  # the Resend webhook store


@dataclass
class Tally:
    messages: int = 0
    bounced: int = 0
    deferred: int = 0

    @property
    def failed(self) -> int:
        return self.bounced + self.deferred

    def add(self, counted: str) -> None:
        self.messages += 1
        if counted == "bounced":
            self.bounced += 1
        elif counted == "deferred":
            self.deferred += 1


@dataclass
class Traffic:
    group: Tally = field(default_factory=Tally)
    other: Tally = field(default_factory=Tally)
    replies: Counter[str] = field(default_factory=Counter)  # the group's failure replies, normalized
    capped: bool = False  # a scan stopped at its cap: the counts cover only what was read
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sighting:
    """One event of one message to one recipient domain (never the address)."""

    message_id: str
    domain: str
    type: DeliveryEvent
    at: datetime
    reply: str | None = None


def domain_of(address: str) -> str:
    return address.strip().strip("<>").rsplit("@", 1)[-1].strip().lower().rstrip(".")


def counted_as(outcome: DeliveryEvent) -> str | None:
    return _COUNTED.get(outcome)


def count(sightings: Iterable[Sighting], group: frozenset[str], traffic: Traffic) -> None:
    """Each (message, recipient domain) once, by its outcome, into the group's or the other tally."""
    by_message: dict[tuple[str, str], list[MessageEvent]] = defaultdict(list)
    for sighting in sightings:
        event = MessageEvent(sighting.message_id, sighting.type, sighting.at, sighting.reply)
        by_message[(sighting.message_id, sighting.domain)].append(event)
    for (_message_id, domain), events in by_message.items():
        events.sort(key=lambda e: e.at)
        outcome = outcome_of(events)
        counted = counted_as(outcome)
        if counted is None:
            continue
        in_group = domain in group
        (traffic.group if in_group else traffic.other).add(counted)
        if in_group and counted != "accepted":
            reply = decisive_reply(events, outcome)
            if reply:
                traffic.replies[normalized_reply(reply)] += 1


def normalized_reply(text: str) -> str:
    """A reply as it may be shown and grouped: addresses scrubbed, addresses of servers and per-message
    ids replaced, blanks collapsed, kept short."""
    text = _ADDRESS.sub("<address>", text)
    text = _IPV4.sub("x.x.x.x", text)
    text = _IPV6.sub("x:x::x", text)
    text = _TOKEN.sub("…", text)
    return " ".join(text.split())[:MAX_REPLY_TEXT]


def scrub_addresses(text: str) -> str:
    return _ADDRESS.sub("<address>", text)
