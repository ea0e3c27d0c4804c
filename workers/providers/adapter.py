"""What every provider module exposes as its one `ADAPTER`: how to reach its API, and the questions
mailcheck asks it (what it saw of mail to a recipient; lift the recipient's suppression; the From
domain's verification; the last 24 hours of mail per mailbox-provider group)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from redis.asyncio import Redis as AsyncRedis

from workers.providers.base import ProviderRecord, ProviderSpec, RemovalResult, SenderDomain
from workers.providers.http import ProviderHttp
from workers.providers.traffic import Traffic, TrafficQuery


@dataclass(frozen=True)
class Recipient:
    """Whom a question is about, with what some providers need besides the address."""

    email: str  # lower-cased, without surrounding blanks
    stream: str = "outbound"  # Postmark's message stream (POSTMARK_MESSAGE_STREAM)
    events: AsyncRedis | None = None  # where the Resend webhook receiver keeps its events


class Fetch(Protocol):
    async def __call__(
        self, http: ProviderHttp, recipient: Recipient, *, since: datetime, now: datetime
    ) -> ProviderRecord:
        """Everything the provider saw of mail to the recipient since `since`, and its suppression."""


class Remove(Protocol):
    async def __call__(self, http: ProviderHttp, recipient: Recipient) -> RemovalResult:
        """Lift the recipient's suppression; a suppression the provider will not lift is REFUSED."""


class ReadDomain(Protocol):
    async def __call__(self, http: ProviderHttp, domain: str) -> SenderDomain | None:
        """The From domain as the provider sees it, None when the provider does not have it; raises
        ProviderKeyScope when the key may not read domains."""


class ReadTraffic(Protocol):
    async def __call__(self, http: ProviderHttp, query: TrafficQuery) -> Traffic:
        """The account's mail since `query.since`, counted for `query.group` and for everyone else."""


@dataclass(frozen=True)
class DomainReader:
    read: ReadDomain
    # What to fix when the key may not read domains (the note names it).
    key_hint: str
    # Its own credentials (Postmark's Account API), else the adapter's spec and MAIL_PROVIDER_API_KEY.
    spec: ProviderSpec | None = None
    key_setting: str = "MAIL_PROVIDER_API_KEY"


@dataclass(frozen=True)
class ProviderAdapter:
    spec: ProviderSpec
    fetch: Fetch
    remove: Remove
    domains: DomainReader
    traffic: ReadTraffic
    # What to set besides MAIL_PROVIDER_API_KEY for the check to see everything, if anything.
    key_hint: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label
