"""The account's recent mail, counted per mailbox-provider group (SPEC §15).

Each adapter reads its provider's aggregate data for a window and hands back a `Traffic`: how many
messages went to each group of recipient domains asked about (the recipient's mailbox provider for a
report; every well-known mailbox provider for the courier watch) and to everyone else, each message
once by its outcome, and each group's failure replies with every address scrubbed. Nothing here keeps a
recipient address: only domains, counts and scrubbed reply texts leave an adapter.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

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
    groups: Mapping[str, frozenset[str]]  # group key → its recipient domains; any other domain is "other"
    since: datetime
    now: datetime
    stream: str = "outbound"  # Postmark's message stream
    events: AsyncRedis | None = None  # the Resend webhook store
    # Count a group's messages only when it had a failure (the courier watch asks about every mailbox
    # provider, and where a group's total costs a call per domain, a group without failures needs none).
    failing_only: bool = False

    @property
    def window_hours(self) -> int:
        return round((self.now - self.since).total_seconds() / 3600)

    @cached_property
    def _index(self) -> dict[str, str]:
        return {domain: key for key, domains in self.groups.items() for domain in domains}

    def group_of(self, domain: str) -> str | None:
        return self._index.get(domain)


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
    """Per group key: its tally (a group with no message may be absent; with `failing_only`, a group
    without failures is) and its failure replies, normalized; `other` is every other domain."""

    groups: dict[str, Tally] = field(default_factory=dict)
    other: Tally = field(default_factory=Tally)
    replies: dict[str, Counter[str]] = field(default_factory=dict)
    capped: bool = False  # a scan stopped at its cap: the counts cover only what was read
    notes: list[str] = field(default_factory=list)

    def tally(self, key: str | None) -> Tally:
        return self.other if key is None else self.groups.setdefault(key, Tally())


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


def count(sightings: Iterable[Sighting], query: TrafficQuery, traffic: Traffic) -> None:
    """Each (message, recipient domain) once, by its outcome, into its group's or the other tally."""
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
        key = query.group_of(domain)
        traffic.tally(key).add(counted)
        if key is not None and counted != "accepted":
            reply = decisive_reply(events, outcome)
            if reply:
                traffic.replies.setdefault(key, Counter())[normalized_reply(reply)] += 1


def normalized_reply(text: str) -> str:
    """A reply as it may be shown and grouped: addresses scrubbed, addresses of servers and per-message
    ids replaced, blanks collapsed, kept short."""
    text = _ADDRESS.sub("<address>", text)
    text = _IPV4.sub("x.x.x.x", text)
    text = _IPV6.sub("x:x::x", text)
    text = _TOKEN.sub("…", text)
    return " ".join(text.split())[:MAX_REPLY_TEXT]
