"""Each data source down, slow past its timeout, or answering garbage, through the bot and a worker
(SPEC §8): the report completes by REPORT_DEADLINE, that source's checks are `error` (the SMTP relay,
which the smtp check examines, `fail`), and every other check is as it is on a healthy day."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.e2e.faults.stack import FaultWorker, wait_until
from tests.e2e.helpers import payload, report_messages, run_command
from tests.processes import BASE_ZONES, RESEND_WEBHOOK_KEY, base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.fault_proxy import TcpFaultProxy, UdpFaultProxy
from tests.standins.kratos import KratosStandIn
from tests.standins.mail_dns import sender_zones
from tests.standins.providers import ResendStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from tests.standins.smtp_server import SmtpStandin, make_pki

# The test relay speaks plain SMTP on loopback, with AUTH; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

RESEND_KEY = "re_test_faults_key"
# REPORT_DEADLINE here. Above the SMTP probe's 5 s phase timeout, so that a hung relay ends the probe
# (`fail`) before the deadline ends the check (`error`); the slow cases cost about this much each.
DEADLINE_S = 6
SLOW_S = DEADLINE_S + 1.5  # an answer this late is past every timeout
ZONES = {**BASE_ZONES, **sender_zones("resend", "acme.test")}
HEALTHY = {
    "identity": "ok",
    "courier": "ok",
    "smtp": "ok",
    "sender_auth": "ok",
    "blocklists": "ok",
    "recipient": "ok",
    "provider": "ok",
}
SOURCE_CHECKS = {
    "kratos": {"identity": "error", "courier": "error"},
    "smtp": {"smtp": "fail"},  # the relay is what the smtp check examines (SPEC §8)
    "dns": {"sender_auth": "error", "blocklists": "error", "recipient": "error"},
    "provider": {"provider": "error"},
}
_emails = itertools.count(1)
Proxies = dict[str, TcpFaultProxy | UdpFaultProxy]


@dataclass
class Sources:
    slack: SlackStandIn
    kratos: KratosStandIn
    dns: DnsServer
    resend: ResendStandIn
    proxies: Proxies
    bot: str

    @contextlib.contextmanager
    def fault(self, source: str, mode: str) -> Iterator[None]:
        """`down` closes the source's port; `slow` and `garbage` use the stand-in's own knobs where it
        has them (a real HTTP answer, late or unparseable), else the proxy (a silent or babbling peer)."""
        proxy = self.proxies[source]
        if mode == "down":
            proxy.mode = "down"
        elif (source, mode) == ("kratos", "slow"):
            self.kratos.latency = SLOW_S
        elif (source, mode) == ("kratos", "garbage"):
            self.kratos.garbage = True
        elif (source, mode) == ("dns", "slow"):
            self.dns.latency = SLOW_S
        elif (source, mode) == ("provider", "slow"):
            self.resend.latency = SLOW_S
        elif (source, mode) == ("provider", "garbage"):
            self.resend.garbage(times=100)
        else:
            proxy.mode = "hang" if mode == "slow" else "garbage"
        try:
            yield
        finally:
            proxy.mode = "pass"
            self.kratos.latency, self.kratos.garbage = 0.0, False
            self.dns.latency = 0.0
            self.resend.latency = 0.0
            self.resend.clear_faults()


def _port(url: str) -> int:
    return int(urlsplit(url).port or 0)


def _settings(
    redis: RedisServer,
    slack: SlackStandIn,
    kratos: KratosStandIn,
    dns: DnsServer,
    relay: SmtpStandin,
    proxies: Proxies,
) -> dict[str, str]:
    """Every source reached through its proxy."""
    kratos_url = f"http://127.0.0.1:{proxies['kratos'].port}"
    user, password = quote(relay.handler.username, safe=""), quote(relay.handler.password, safe="")
    return base_settings(redis.url, slack, kratos, dns) | {
        "MAILCHECK_QUEUE": "mailcheck-faults-sources",
        "KRATOS_ADMIN_URL": kratos_url,
        "KRATOS_PUBLIC_URL": kratos_url,
        "DNS_NAMESERVERS": f"127.0.0.1:{proxies['dns'].port}",
        "COURIER_SMTP_CONNECTION_URI": (
            f"smtp://{user}:{password}@127.0.0.1:{proxies['smtp'].port}/?disable_starttls=true"
        ),
        "COURIER_SMTP_FROM_ADDRESS": "noreply@acme.test",
        "MAIL_PROVIDER": "resend",
        "MAIL_PROVIDER_API_KEY": RESEND_KEY,
        "MAIL_PROVIDER_API_URL": f"http://127.0.0.1:{proxies['provider'].port}{ResendStandIn.prefix}",
        "DNSBL_ZONES": "zen.spamhaus.org",
        "DNSBL_DOMAIN_ZONES": "dbl.spamhaus.org",
        "REPORT_DEADLINE": str(DEADLINE_S),
        "DNS_TIMEOUT": "0.5",
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    logs = tmp_path_factory.mktemp("faults-sources")
    with contextlib.ExitStack() as cleanup:
        redis = RedisServer().start()
        cleanup.callback(redis.stop)
        slack = SlackStandIn().start()
        cleanup.callback(slack.stop)
        kratos = cleanup.enter_context(KratosStandIn())
        dns = cleanup.enter_context(DnsServer(ZONES))
        resend = ResendStandIn(RESEND_KEY)
        cleanup.enter_context(resend)
        relay = cleanup.enter_context(SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain"))
        proxies: Proxies = {
            "kratos": cleanup.enter_context(TcpFaultProxy(("127.0.0.1", _port(kratos.admin_url)))),
            "smtp": cleanup.enter_context(TcpFaultProxy(("127.0.0.1", relay.port))),
            "dns": cleanup.enter_context(UdpFaultProxy(("127.0.0.1", dns.port))),
            "provider": cleanup.enter_context(TcpFaultProxy(("127.0.0.1", _port(resend.url)))),
        }
        env = mailcheck_env(**_settings(redis, slack, kratos, dns, relay, proxies))
        bot, url = start_bot(env, logs)
        cleanup.callback(bot.stop)
        worker = FaultWorker(env, logs / "worker.log")
        cleanup.callback(worker.stop)
        yield Sources(slack, kratos, dns, resend, proxies, url)
        assert kratos.violations == [], kratos.violations


def _check(sources: Sources, label: str) -> dict[str, Any]:
    """Run one report for a user with a sent and delivered message; return its final metadata."""
    email = f"{label}.{next(_emails)}@example.com"
    sources.kratos.add_identity(email)
    sources.kratos.add_message(email, status="sent", age_s=120)
    sent_at = (datetime.now(UTC) - timedelta(seconds=110)).isoformat().replace("+00:00", "Z")
    sources.resend.add_email(f"em-{email}", email, sent_at, last_event="delivered")
    response, _ = run_command(sources.bot, sources.slack, email)
    assert response.status_code == 200

    def finished() -> dict[str, Any] | None:
        for message in report_messages(sources.slack, email):
            if payload(message)["state"] != "running":
                return payload(message)
        return None

    result: dict[str, Any] = wait_until(finished, what=f"report for {email}")
    assert result["state"] == "complete"
    return result


def test_healthy_sources_give_all_ok(sources: Sources) -> None:
    result = _check(sources, "healthy")

    assert result["checks"] == HEALTHY
    assert (result["verdict"], result["spam_risk"]) == ("delivered", "low")


@pytest.mark.parametrize("mode", ["down", "slow", "garbage"])
@pytest.mark.parametrize("source", sorted(SOURCE_CHECKS))
def test_one_source_failing_errors_its_checks_only(sources: Sources, source: str, mode: str) -> None:
    with sources.fault(source, mode):
        result = _check(sources, f"{source}-{mode}")

    assert result["checks"] == HEALTHY | SOURCE_CHECKS[source]
    # A rule whose evidence is an `error` check cannot match; the others still decide (SPEC §6.1).
    assert result["verdict"] == ("sent" if source == "provider" else "delivered")
    assert result["spam_risk"] == ("unknown" if source == "dns" else "low")


def _signed_webhook(body: bytes) -> dict[str, str]:
    stamp, msg_id = str(int(time.time())), f"msg_{next(_emails)}"
    mac = hmac.new(RESEND_WEBHOOK_KEY, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "svix-id": msg_id,
        "svix-timestamp": stamp,
        "svix-signature": "v1," + base64.b64encode(mac).decode(),
    }


def test_a_bounce_only_the_resend_webhook_told_reaches_the_slack_report(sources: Sources) -> None:
    """The worker reads the webhook events the bot stored (Resend's API cannot search by recipient)."""
    email = f"webhook.{next(_emails)}@example.com"
    sources.kratos.add_identity(email)
    sources.kratos.add_message(email, status="sent", age_s=120)
    sent_at = (datetime.now(UTC) - timedelta(seconds=110)).isoformat().replace("+00:00", "Z")
    bounce = {
        "type": "email.bounced",
        "created_at": sent_at,
        "data": {
            "email_id": f"em-webhook-{email}",
            "created_at": sent_at,
            "from": "Acme <noreply@acme.test>",
            "to": [email],
            "subject": "Verify your account",
            "bounce": {
                "type": "Permanent",
                "subType": "General",
                "message": "hard bounce",
                "diagnosticCode": ["smtp; 550 5.1.1 user unknown"],
            },
        },
    }
    body = json.dumps(bounce).encode()
    answer = httpx.post(sources.bot + "/webhooks/resend", content=body, headers=_signed_webhook(body))
    assert answer.status_code == 204, answer.text

    run_command(sources.bot, sources.slack, email)

    def finished() -> dict[str, Any] | None:
        for message in report_messages(sources.slack, email):
            if payload(message)["state"] != "running":
                return message
        return None

    message = wait_until(finished, what=f"report for {email}")
    assert payload(message)["verdict"] == "provider_bounced"
    assert "550 5.1.1 user unknown" in json.dumps(message["blocks"])
    assert "Verify your account" not in json.dumps(message)  # the subject is never stored nor shown
