"""The world issue 12 measures a report in: a STARTTLS relay with AUTH behind a delay line, DNS, Kratos
and the Resend API, each with injected latency, served from processes of their own (so they do not
share the measuring interpreter's GIL; the relay has one to itself, as a real relay is another machine).

Latency: DNS 20 ms per answer, Kratos 30 ms per request, SMTP 50 ms per server reply, provider 80 ms
per request. The critical path is the longest chain of round trips one report must wait for in turn.

The Resend account also sent a day of other mail (`DAY_OF_MAIL` emails over the last 24 hours, to
Gmail, Outlook, Yahoo and company domains, some of Outlook's deferred), so the provider check's three
questions are real work (SPEC §15): the recipient's own scan of `GET /emails`, the sender domain's
verification (`GET /domains`, the domain, its records in DNS) and the 24-hour aggregate, a scan of its
own; they run beside each other and beside the other checks.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import tempfile
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.delay_proxy import DelayProxy
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.mail_dns import sender_zones
from tests.standins.providers import ResendStandIn
from tests.standins.smtp_server import Pki, SmtpStandin, make_pki
from workers.providers import resend, resend_traffic
from workers.providers.resend_emails import PAGE_SIZE

DNS_MS, KRATOS_MS, SMTP_MS, PROVIDER_MS = 20, 30, 50, 80
DOMAIN = "acme.test"
PROVIDER_KEY = "re_bench_key_0123456789"
DAY_OF_MAIL = 250  # other emails of the last 24 hours in the Resend account
# Sequential round trips on the other chains of this scenario (the SMTP chain is counted live):
KRATOS_CHAIN = 2  # courier: list one page, then the newest messages' details (fetched concurrently)
DNS_CHAIN = 2  # SPF: TXT send.acme.test, then TXT amazonses.com from its include (DKIM, DMARC, MX alongside)
# Resend's sender domain: list the domains, then read the domain (verified: its records are not asked
# of DNS).
DOMAIN_CHAIN_MS = 2 * PROVIDER_MS
_DAY_DOMAINS = ("gmail.com", "outlook.com", "gmail.com", "yahoo.com", "hotmail.com", "corp.example")


def emails(count: int, prefix: str = "bench") -> list[str]:
    return [f"{prefix}{index}@gmail.com" for index in range(count)]


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def _serve_relay(conn: Connection, pki: Pki) -> None:
    """The relay and its delay line, a process of their own: a real relay is another machine, and its
    replies must not wait for the other stand-ins' threads to let go of a shared GIL."""
    _quiet()
    with (
        SmtpStandin(pki, mode="starttls") as relay,
        DelayProxy(relay.port, SMTP_MS / 1000) as proxy,
    ):
        conn.send({"smtp": proxy.port})
        conn.recv()  # until the bench is done


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def _day_of_mail(api: ResendStandIn, count: int) -> None:
    """`count` other emails over the last 24 hours; one Outlook email in three deferred."""
    now = datetime.now(UTC)
    for index in range(count):
        domain = _DAY_DOMAINS[index % len(_DAY_DOMAINS)]
        deferred = domain == "outlook.com" and (index // len(_DAY_DOMAINS)) % 3 == 0
        at = now - timedelta(minutes=5) - timedelta(seconds=index * 85_000 // max(count, 1))
        last = "delivery_delayed" if deferred else "delivered"
        api.add_email(f"day-{index}", f"someone.{index}@{domain}", _stamp(at), last_event=last)


def _serve(conn: Connection, recipients: list[str], pki: Pki, day: int) -> None:
    _quiet()
    zones = {**sender_zones("resend", DOMAIN), "gmail.com": {"MX": ["5 gmail-smtp-in.l.google.com."]}}
    sent = _stamp(datetime.now(UTC) - timedelta(minutes=1))
    with (
        DnsServer(zones) as dns_server,
        KratosStandIn() as kratos,
        ResendStandIn(PROVIDER_KEY) as api,
    ):
        api.set_domain(DOMAIN, "verified")
        _day_of_mail(api, day)
        for index, email in enumerate(recipients):
            kratos.add_identity(email)
            kratos.add_message(email, status="sent", age_s=60)
            api.add_email(f"em-{index}", email, sent)
        dns_server.latency, kratos.latency = DNS_MS / 1000, KRATOS_MS / 1000
        api.latency = PROVIDER_MS / 1000
        conn.send(
            {
                "dns": dns_server.nameserver,
                "dns_port": dns_server.port,
                "kratos": kratos.admin_url,
                "kratos_public": kratos.public_url,
                "resend": api.url,
                "ca_file": str(pki.ca_file),
            }
        )
        conn.recv()  # until the bench is done


@contextlib.contextmanager
def _process(target: Callable[..., None], *args: Any) -> Iterator[Any]:
    """Run `target(conn, *args)` in a process; yield what it sends first; tell it to stop after."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(10)


@contextlib.contextmanager
def served(recipients: list[str], day: int = DAY_OF_MAIL) -> Iterator[dict[str, Any]]:
    """The stand-ins, served from processes of their own; `day` other emails in the Resend account."""
    pki = make_pki(Path(tempfile.mkdtemp(prefix="mailcheck-bench-pki-")))
    with _process(_serve_relay, pki) as relay, _process(_serve, recipients, pki, day) as others:
        yield relay | others


def settings(servers: dict[str, Any]) -> dict[str, str]:
    """The settings of this world, as environment variables (`load_settings` takes them lower-cased)."""
    return {
        "KRATOS_ADMIN_URL": servers["kratos"],
        "KRATOS_PUBLIC_URL": servers["kratos_public"],
        "DNS_NAMESERVERS": servers["dns"],
        "DNS_TIMEOUT": "2.0",
        "COURIER_SMTP_CONNECTION_URI": f"smtp://relay-user:relay-secret@127.0.0.1:{servers['smtp']}/",
        "COURIER_SMTP_FROM_ADDRESS": f"noreply@{DOMAIN}",
        "MAIL_PROVIDER": "resend",
        "MAIL_PROVIDER_API_KEY": PROVIDER_KEY,
        "MAIL_PROVIDER_API_URL": servers["resend"],
        "DNSBL_ZONES": "zen.spamhaus.org,bl.spamcop.net",
        "DNSBL_DOMAIN_ZONES": "dbl.spamhaus.org",
        "REPORT_DEADLINE": "10",
        # The probe verifies the relay's certificate against the system store: here, the test CA.
        "SSL_CERT_FILE": servers["ca_file"],
    }


def awaited_replies(details: dict[str, Any]) -> int:
    """Server replies the probe waited for: every phase after connecting, but the pipelined goodbye."""
    phases = details.get("phases") or []
    return sum(1 for phase in phases if phase["phase"] not in ("resolve", "connect", "rset_quit"))


def _pages(emails: int, cap: int) -> int:
    return max(1, min(cap, math.ceil(emails / PAGE_SIZE)))


def bound_ms(replies: int, emails: int) -> tuple[float, str]:
    """The longest chain; `emails` is all the Resend account holds (every one within a day here)."""
    scan = _pages(emails, resend.PAGE_CAP)  # the recipient's own scan, then its suppression
    aggregate = _pages(emails, resend_traffic.PAGE_CAP)  # the 24-hour aggregate's scan
    chains = {
        f"SMTP {replies} awaited replies x {SMTP_MS} ms": replies * SMTP_MS,
        f"provider recipient {scan} pages + suppression x {PROVIDER_MS} ms": (scan + 1) * PROVIDER_MS,
        f"provider 24-h aggregate {aggregate} pages x {PROVIDER_MS} ms": aggregate * PROVIDER_MS,
        f"provider sender domain 2 x {PROVIDER_MS} ms": DOMAIN_CHAIN_MS,
        f"Kratos {KRATOS_CHAIN} x {KRATOS_MS} ms": KRATOS_CHAIN * KRATOS_MS,
        f"DNS {DNS_CHAIN} x {DNS_MS} ms": DNS_CHAIN * DNS_MS,
    }
    return max(chains.values()), "; ".join(chains)
