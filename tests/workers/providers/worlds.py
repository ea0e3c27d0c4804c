"""A day of an account's mail, put into any provider stand-in in that provider's own shapes.

`populate(provider, api, mails)` turns neutral `Mail`s (one message to one address, delivered,
deferred or bounced, with the receiving server's reply) into what the provider records: Resend emails
with `last_event` (and webhook events in Redis for the reply), Postmark messages and bounce records,
Brevo events, SMTP2GO activity events.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from tests.standins.dns_server import DnsServer
from tests.standins.providers import (
    BrevoStandIn,
    PostmarkStandIn,
    ProviderStandIn,
    ResendStandIn,
    Smtp2goStandIn,
)
from tests.workers.providers.support import NOW
from workers.providers.resend_webhook import store_event

RATE_LIMITED = (
    "451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation."
)
USER_UNKNOWN = "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
_ids = itertools.count()


@dataclass(frozen=True)
class Mail:
    address: str
    outcome: str = "delivered"  # delivered | deferred | bounced
    at: datetime = NOW - timedelta(hours=2)
    reply: str | None = None


def day(
    domains: list[str], count: int, *, deferred: int = 0, bounced: int = 0, reply: str = RATE_LIMITED
) -> list[Mail]:
    """`count` messages spread over the last 23 hours to addresses at `domains` (in turn); the first
    `deferred` are deferred and the next `bounced` bounced, with `reply`."""
    return _spread(domains, count, deferred, bounced, reply, NOW - timedelta(hours=23), 82_000)


def hour(
    domains: list[str],
    count: int,
    *,
    deferred: int = 0,
    bounced: int = 0,
    reply: str = RATE_LIMITED,
    end: datetime = NOW,
) -> list[Mail]:
    """As `day`, spread over the 50 minutes before `end` (what the courier watch's last hour sees)."""
    return _spread(domains, count, deferred, bounced, reply, end - timedelta(minutes=55), 3000)


def _spread(
    domains: list[str], count: int, deferred: int, bounced: int, reply: str, start: datetime, span_s: int
) -> list[Mail]:
    mails = []
    for n in range(count):
        outcome = "deferred" if n < deferred else "bounced" if n < deferred + bounced else "delivered"
        address = f"person.{n}.{next(_ids)}@{domains[n % len(domains)]}"
        at = start + timedelta(seconds=n * span_s // max(count, 1))
        shown = reply.format(address=address) if outcome != "delivered" else None
        mails.append(Mail(address, outcome, at, shown))
    return mails


def populate(provider: str, api: ProviderStandIn, mails: list[Mail], *, redis_url: str | None = None) -> None:
    filler = {"resend": _resend, "postmark": _postmark, "brevo": _brevo, "smtp2go": _smtp2go}[provider]
    store = redis.Redis.from_url(redis_url) if redis_url else None
    try:
        for mail in mails:
            filler(api, f"m-{next(_ids):06}", mail, store)
    finally:
        if store is not None:
            store.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _resend(api: ProviderStandIn, mid: str, mail: Mail, store: redis.Redis | None) -> None:
    assert isinstance(api, ResendStandIn)
    last = {"delivered": "delivered", "deferred": "delivery_delayed", "bounced": "bounced"}[mail.outcome]
    api.add_email(mid, mail.address, _iso(mail.at), last_event=last)
    if store is not None and mail.reply:
        kind = "email.bounced" if mail.outcome == "bounced" else "email.delivery_delayed"
        bounce = {"type": "Permanent" if mail.outcome == "bounced" else "Transient"}
        data = {"email_id": mid, "created_at": _iso(mail.at), "to": [mail.address]}
        data["bounce"] = {**bounce, "message": "rejected", "diagnosticCode": [f"smtp; {mail.reply}"]}
        store_event(store, {"type": kind, "created_at": _iso(mail.at + timedelta(minutes=1)), "data": data})


def _postmark(api: ProviderStandIn, mid: str, mail: Mail, store: redis.Redis | None) -> None:
    assert isinstance(api, PostmarkStandIn)
    api.add_message(mid, mail.address, _iso(mail.at))
    if mail.outcome != "delivered":
        kind = "Transient" if mail.outcome == "deferred" else "HardBounce"
        bounced_at = _iso(mail.at + timedelta(minutes=1))
        inactive = mail.outcome == "bounced"
        api.add_bounce(int(mid[2:]), mid, mail.address, kind, bounced_at, f"smtp;{mail.reply}", inactive)


def _brevo(api: ProviderStandIn, mid: str, mail: Mail, store: redis.Redis | None) -> None:
    assert isinstance(api, BrevoStandIn)
    api.add_event(mid, mail.address, "requests", _iso(mail.at))
    event = {"delivered": "delivered", "deferred": "deferred", "bounced": "hardBounces"}[mail.outcome]
    api.add_event(mid, mail.address, event, _iso(mail.at + timedelta(minutes=1)), mail.reply)


def _smtp2go(api: ProviderStandIn, mid: str, mail: Mail, store: redis.Redis | None) -> None:
    assert isinstance(api, Smtp2goStandIn)
    api.add_event(mid, mail.address, "processed", _iso(mail.at))
    event = {"delivered": "delivered", "deferred": "soft-bounced", "bounced": "hard-bounced"}[mail.outcome]
    reply = mail.reply or "250 Message received"
    api.add_event(mid, mail.address, event, _iso(mail.at + timedelta(minutes=1)), reply, "203.0.113.20")


def publish(dns: DnsServer, api: ProviderStandIn, domain: str) -> None:
    """Put every record the provider asks for on `domain` into the DNS stand-in."""
    for host, rdtype, value in api.records(domain):
        text = {"TXT": f'"{value}"', "MX": f"10 {value}.", "CNAME": f"{value}."}[rdtype]
        dns.add(host, rdtype, text)
