"""The whole diagnostic run in-process against real local servers: Kratos, DNS, an SMTP relay and a
provider API. Each test sets up what one verdict needs and asserts the verdict, findings and evidence."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.standins.dns_server import BROKEN_MODES, DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.mail_dns import sender_zones
from tests.standins.providers import PostmarkStandIn, ResendStandIn
from tests.standins.smtp_server import SmtpStandin, make_pki
from workers.checks.diagnostics import run_diagnostics
from workers.core.settings import load_settings
from workers.report.advice import tell_user
from workers.report.model import CheckResult, Report, Verdict

# The test relay speaks plain SMTP on loopback, with AUTH; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

RESEND_KEY = "re_test_key_123"
POSTMARK_KEY = "0b6e0d5c-1f2a-4c3b-9d8e-7f6a5b4c3d2e"
_ids = itertools.count(1)

ZONES = {
    **sender_zones("resend", "acme.test"),
    "gmail.com": {"MX": ["5 gmail-smtp-in.l.google.com."]},
    "outlook.com": {"MX": ["5 outlook-com.olc.protection.outlook.com."]},
    "mailinator.com": {"MX": ["10 mail.mailinator.com."]},
    "nullmx.test": {"MX": ["0 ."]},
}


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(ZONES).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kratos() -> Iterator[KratosStandIn]:
    standin = KratosStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpStandin]:
    with SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain") as server:
        yield server


@pytest.fixture
def resend() -> Iterator[ResendStandIn]:
    with ResendStandIn(RESEND_KEY) as standin:
        yield standin


def _iso(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def diagnose(
    email: str,
    *,
    dns: DnsServer,
    kratos: KratosStandIn,
    relay: SmtpStandin,
    resend: ResendStandIn | None,
    **overrides: Any,
) -> Report:
    settings = load_settings(
        {
            "kratos_admin_url": kratos.admin_url,
            "dns_nameservers": dns.nameserver,
            "dns_timeout": 0.5,
            "courier_smtp_connection_uri": relay.uri(),
            "courier_smtp_from_address": "noreply@acme.test",
            "mail_provider": "resend",
            "mail_provider_api_key": RESEND_KEY if resend else None,
            "mail_provider_api_url": resend.url if resend else None,
            "dnsbl_zones": "zen.spamhaus.org",
            "dnsbl_domain_zones": "dbl.spamhaus.org",
            "report_deadline": 5,
            **overrides,
        }
    )
    return asyncio.run(run_diagnostics(email, settings, report_id=f"r{next(_ids)}"))


def _user(
    kratos: KratosStandIn, local: str, domain: str = "gmail.com", *, message: str | None = "sent"
) -> str:
    email = f"{local}.{next(_ids)}@{domain}"
    kratos.add_identity(email)
    if message:
        kratos.add_message(email, status=message, age_s=120)
    return email


def test_healthy_setup_with_delivery_gives_delivered(dns, kratos, relay, resend) -> None:
    email = _user(kratos, "happy")
    resend.add_email("e-1", email, _iso(110), last_event="delivered")
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=resend)
    assert {name: r.status.value for name, r in report.checks.items()} == {
        "identity": "ok",
        "courier": "ok",
        "smtp": "ok",
        "sender_auth": "ok",
        "blocklists": "ok",
        "recipient": "ok",
        "provider": "ok",
    }
    assert report.verdict == "delivered"
    assert report.spam_risk == "low"
    assert "Gmail" in report.tell_user
    assert report.checks["recipient"].details["mailbox_provider"] == "google"
    assert report.checks["provider"].details["newest"]["courier_message_id"]  # correlated with Kratos


def test_disposable_recipient_wins_over_everything(dns, kratos, relay, resend) -> None:
    email = f"temp.{next(_ids)}@mailinator.com"
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=resend)
    assert report.verdict == "disposable_domain"
    assert any(f.code == "disposable_domain" for f in report.findings)


@pytest.mark.parametrize(
    ("domain", "code"), [("nullmx.test", "recipient_null_mx"), ("nowhere.test", "recipient_nxdomain")]
)
def test_recipient_that_cannot_receive_mail(dns, kratos, relay, resend, domain: str, code: str) -> None:
    email = _user(kratos, "lost", domain)
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=resend)
    assert report.verdict == "recipient_invalid"
    assert [f.code for f in report.checks["recipient"].findings] == [code]


@pytest.mark.parametrize(
    ("last_event", "verdict"),
    [("bounced", "provider_bounced"), ("delivery_delayed", "provider_deferred")],
)
def test_provider_outcomes(dns, kratos, relay, resend, last_event: str, verdict: str) -> None:
    email = _user(kratos, last_event, "outlook.com")
    resend.add_email("e-2", email, _iso(110), last_event=last_event)
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=resend)
    assert report.verdict == verdict


def test_suppressed_recipient_offers_unsuppress(dns, kratos, relay, resend) -> None:
    email = _user(kratos, "suppressed")
    resend.add_email("e-3", email, _iso(110), last_event="suppressed")
    resend.suppress(email, "bounce", _iso(3600))
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=resend)
    assert report.verdict == "provider_suppressed"
    assert "unsuppress" in report.actions
    assert any(f.code == "provider_suppressed" for f in report.findings)


def test_without_provider_key_the_courier_decides(dns, kratos, relay) -> None:
    email = _user(kratos, "nokey")
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None)
    assert report.checks["provider"].status.value == "skipped"
    assert "MAIL_PROVIDER_API_KEY" in report.checks["provider"].summary
    assert report.verdict == "sent"


def test_live_probe_classifies_when_dispatches_carry_no_text(dns, kratos, relay) -> None:
    email = f"probe.{next(_ids)}@gmail.com"
    kratos.add_identity(email)
    kratos.add_message(email, status="abandoned", age_s=60, dispatches=[{"status": "failed", "error": {}}])
    report = diagnose(
        email,
        dns=dns,
        kratos=kratos,
        relay=relay,
        resend=None,
        courier_smtp_connection_uri=relay.uri(password="wrong-password"),
    )
    assert report.checks["smtp"].status.value == "fail"
    assert report.checks["smtp"].details["classification"] == "smtp_auth_failed"
    assert report.verdict == "smtp_auth_failed"
    assert "wrong-password" not in str(report.to_dict())


def test_broken_spf_makes_spam_risk_high(dns, kratos, relay) -> None:
    email = _user(kratos, "spam")
    dns.remove("send.acme.test", "TXT")
    dns.add("send.acme.test", "TXT", '"v=spf1 include:amazonses.com bogus:mechanism ~all"')
    try:
        report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None)
    finally:
        dns.remove("send.acme.test", "TXT")
        dns.add("send.acme.test", "TXT", '"v=spf1 include:amazonses.com ~all"')
    assert any(f.code == "spf_invalid" for f in report.findings)
    assert report.spam_risk == "high"
    assert report.verdict == "sent"


def test_dead_dns_and_dead_kratos_still_give_a_complete_report(dns, kratos, relay) -> None:
    email = f"outage.{next(_ids)}@gmail.com"
    dns.drop, kratos.fail_with = True, 503
    started = time.monotonic()
    try:
        report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None, report_deadline=3)
    finally:
        dns.drop, kratos.fail_with = False, None
    assert time.monotonic() - started < 3 + 2  # bounded by REPORT_DEADLINE, with a margin for start-up
    statuses = {name: r.status.value for name, r in report.checks.items()}
    assert statuses["identity"] == statuses["courier"] == "error"
    assert statuses["recipient"] == statuses["sender_auth"] == "error"
    assert report.state.value == "complete"
    assert report.spam_risk == "unknown"
    assert report.verdict == "unknown"


@pytest.mark.parametrize("mode", BROKEN_MODES)
def test_broken_resolver_never_blames_the_user(dns, kratos, relay, mode: str) -> None:
    email = _user(kratos, f"vantage-{mode}")
    dns.broken = mode
    try:
        report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None)
    finally:
        dns.broken = None
    for name in ("recipient", "sender_auth", "blocklists"):
        check = report.checks[name]
        assert check.status.value == "error", name
        assert "DNS_NAMESERVERS" in check.summary, name
        assert check.findings == (), name
    assert report.verdict != "recipient_invalid"
    assert report.verdict == "sent"  # Kratos's courier evidence decides, not our broken DNS
    assert report.spam_risk == "unknown"
    assert not [f for f in report.findings if f.code.startswith(("recipient_", "spf_", "dkim_", "dmarc_"))]


def test_healthy_resolver_pays_one_control_query_per_tld(kratos, relay) -> None:
    zones = {**ZONES}
    del zones["_dmarc.acme.test"]  # sender_auth needs the control for .test, as the recipient does
    email = _user(kratos, "control", "nowhere.test")
    with DnsServer(zones) as server:
        report = diagnose(email, dns=server, kratos=kratos, relay=relay, resend=None)
    assert report.checks["recipient"].findings[0].code == "recipient_nxdomain"
    assert [f.code for f in report.checks["sender_auth"].findings] == ["dmarc_missing"]
    assert report.checks["blocklists"].status.value == "ok"
    controls = [name for name, rdtype in server.queries if rdtype == "SOA"]
    assert sorted(controls) == ["", "org", "test"]  # .org does not exist here: the root answers for it


# ---- SPEC §15: every SMTP reply in a report is explained, and tell_user and the summaries use it -------

USER_UNKNOWN = "550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox table"
SENDER_SIDE = "This is on our side, not yours: we are fixing it, and there is no need for you to do anything."


@pytest.fixture
def postmark() -> Iterator[PostmarkStandIn]:
    with PostmarkStandIn(POSTMARK_KEY) as standin:
        yield standin


def _with_postmark(postmark: PostmarkStandIn) -> dict[str, Any]:
    return {
        "mail_provider": "postmark",
        "mail_provider_api_key": POSTMARK_KEY,
        "mail_provider_api_url": postmark.url,
    }


def _bounced_at_postmark(postmark: PostmarkStandIn, email: str, kind: str, reply: str) -> None:
    """The courier's message as Postmark recorded it, then refused by the recipient's server."""
    message_id = f"pm-{next(_ids)}"
    postmark.add_message(message_id, email, _iso(110))
    bounce_id = next(_ids)
    postmark.add_event(message_id, "Bounced", _iso(100), email, BounceID=bounce_id)
    postmark.add_bounce(bounce_id, message_id, email, kind, _iso(100), f"smtp;{reply}", inactive=False)


def _finding(report: Report, code: str) -> str:
    return next(f.summary for f in report.findings if f.code == code)


def test_a_kratos_dispatch_error_550_is_explained_and_the_user_told_to_check_the_spelling(
    dns, kratos, relay
) -> None:
    email = f"typo.{next(_ids)}@gmail.com"
    kratos.add_identity(email)
    error = USER_UNKNOWN.format(email=email)
    kratos.add_message(email, status="abandoned", age_s=60, send_count=5, dispatches=[("failed", error)] * 2)
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None)
    courier = report.checks["courier"]
    dispatch = courier.details["newest"]["dispatches"][0]
    assert dispatch["error"].startswith("550 5.1.1") and dispatch["category"] == "invalid_recipient"
    assert (dispatch["side"], dispatch["mailbox_provider"]) == ("recipient", "")  # our relay said it
    assert {k: courier.details[k] for k in ("category", "side", "mailbox_provider")} == {
        "category": "invalid_recipient",
        "side": "recipient",
        "mailbox_provider": "",
    }
    assert courier.details["meaning"].startswith(
        "The recipient's mail server says this mailbox does not exist"
    )
    assert report.verdict == "smtp_rejected"
    assert (
        courier.summary == "The newest message was abandoned: the address does not exist (the user's side)."
    )
    assert "ask the user to check the address for typos" in _finding(report, "courier_abandoned")
    assert report.tell_user.startswith(
        "The address does not exist at gmail.com — please check the spelling of your email address"
    )
    assert email not in report.tell_user


def test_the_relays_535_is_explained_as_ours_in_the_dispatch_and_in_the_probe(dns, kratos, relay) -> None:
    email = f"login.{next(_ids)}@gmail.com"
    kratos.add_identity(email)
    failed = ("failed", "535 5.7.8 Authentication credentials invalid")
    kratos.add_message(email, status="abandoned", age_s=60, send_count=5, dispatches=[failed])
    report = diagnose(
        email,
        dns=dns,
        kratos=kratos,
        relay=relay,
        resend=None,
        courier_smtp_connection_uri=relay.uri(password="rotated-password"),
    )
    courier, smtp = report.checks["courier"].details, report.checks["smtp"].details
    assert (courier["category"], courier["side"], courier["mailbox_provider"]) == (
        "sender_config",
        "sender",
        "",
    )
    assert smtp["reply"].startswith("535") and smtp["category"] == "sender_config"
    assert (smtp["side"], smtp["mailbox_provider"]) == ("sender", "")
    assert "SMTP login" in smtp["meaning"] and "SMTP login" in courier["meaning"]
    assert report.verdict == "smtp_auth_failed"
    assert report.tell_user.startswith(SENDER_SIDE)
    assert "rotated-password" not in str(report.to_dict())


@pytest.mark.parametrize(
    ("kind", "verdict", "told"),
    [
        ("SoftBounce", "provider_deferred", "Your mailbox is full, so your email provider is holding back"),
        ("HardBounce", "provider_bounced", "Your mailbox is full, so your email provider returned our email"),
    ],
)
def test_a_postmark_bounce_mailbox_full_tells_the_user_to_free_space(
    dns, kratos, relay, postmark, kind: str, verdict: str, told: str
) -> None:
    email = _user(kratos, "full")
    _bounced_at_postmark(postmark, email, kind, "552 5.2.2 mailbox full")
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None, **_with_postmark(postmark))
    newest = report.checks["provider"].details["newest"]
    assert (newest["reply"], newest["category"], newest["side"]) == (
        "552 5.2.2 mailbox full",
        "mailbox_full",
        "recipient",
    )
    assert report.verdict == verdict
    assert report.tell_user.startswith(told) and "free up some space" in report.tell_user
    assert (
        "the mailbox is full (the user's side): 552 5.2.2 mailbox full" in report.checks["provider"].summary
    )


def test_a_gmail_dmarc_bounce_is_ours_and_points_the_agent_at_sender_auth(
    dns, kratos, relay, postmark
) -> None:
    email = _user(kratos, "dmarc")
    reply = (
        "550-5.7.26 Unauthenticated email from acme.test is not accepted due to domain's DMARC policy. "
        "Please contact the administrator of acme.test domain if this was a legitimate mail. "
        "To learn about the DMARC initiative, go to https://support.google.com/mail/?p=DmarcRejection - gsmtp"
    )
    _bounced_at_postmark(postmark, email, "HardBounce", reply)
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None, **_with_postmark(postmark))
    provider = report.checks["provider"]
    assert provider.details["newest"]["category"] == "authentication"
    assert provider.details["newest"]["mailbox_provider"] == "google"
    assert report.verdict == "provider_bounced"
    assert report.tell_user.startswith(SENDER_SIDE)
    assert "DMARC" not in report.tell_user and "sender_auth" not in report.tell_user  # the user's text
    pointer = "our SPF/DKIM/DMARC authentication (our side: see the sender_auth check)"
    assert pointer in provider.summary and pointer in _finding(report, "provider_bounce_hard")


def test_an_unclassified_reply_keeps_the_generic_text(dns, kratos, relay, postmark) -> None:
    email = _user(kratos, "odd")
    _bounced_at_postmark(postmark, email, "HardBounce", "550 we do not like the look of this")
    report = diagnose(email, dns=dns, kratos=kratos, relay=relay, resend=None, **_with_postmark(postmark))
    assert report.checks["provider"].details["newest"]["category"] == "unclassified"
    assert report.verdict == "provider_bounced"
    generic = tell_user(Verdict.PROVIDER_BOUNCED, {"recipient": CheckResult.skipped("")})
    assert report.tell_user == generic and generic.startswith("Your mail server refused our email.")
    assert report.checks["provider"].summary.endswith("hard-bounced: 550 we do not like the look of this")
