"""A whole report with a configuration mistake: the affected checks name the setting to fix (SPEC §5),
run in-process against the real Kratos stand-in, DNS server and SMTP relay."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn, Misdirection
from tests.standins.mail_dns import sender_zones
from tests.standins.smtp_server import SmtpStandin, make_pki
from workers.checks.diagnostics import run_diagnostics
from workers.core.settings import load_settings
from workers.report.model import Report

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer({**sender_zones("smtp", "acme.test"), "gmail.com": {"MX": ["5 mx.gmail.com."]}})
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpStandin]:
    with SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain") as server:
        yield server


def diagnose(dns: DnsServer, kratos: KratosStandIn, relay: SmtpStandin, **overrides: Any) -> Report:
    email = f"user.{next(_ids)}@gmail.com"
    kratos.add_identity(email)
    settings = load_settings(
        {
            "kratos_admin_url": kratos.admin_url,
            "dns_nameservers": dns.nameserver,
            "dns_timeout": 0.5,
            "courier_smtp_connection_uri": relay.uri(),
            "courier_smtp_from_address": "noreply@acme.test",
            "report_deadline": 5,
            **overrides,
        }
    )
    return asyncio.run(run_diagnostics(email, settings, report_id=f"settings-{next(_ids)}"))


@pytest.mark.parametrize("mode", ["auth_proxy", "public_port", "login_page"])
def test_kratos_admin_url_at_the_wrong_thing(
    dns: DnsServer, kratos: KratosStandIn, relay: SmtpStandin, mode: Misdirection
) -> None:
    kratos.misdirected = mode
    try:
        report = diagnose(dns, kratos, relay)
    finally:
        kratos.misdirected = None
    for name in ("identity", "courier"):
        check = report.checks[name]
        assert check.status.value == "error"
        assert f"KRATOS_ADMIN_URL ({kratos.admin_url})" in check.summary
        assert check.details["setting"] == "KRATOS_ADMIN_URL"


def test_an_instance_named_in_kratos_instances_is_fixed_there(
    dns: DnsServer, kratos: KratosStandIn, relay: SmtpStandin
) -> None:
    """One instance, given by KRATOS_INSTANCES: the error names that setting, not KRATOS_ADMIN_URL,
    which KRATOS_INSTANCES overrides, so fixing it would change nothing."""
    kratos.misdirected = "public_port"
    try:
        report = diagnose(dns, kratos, relay, kratos_instances=f"ciam={kratos.admin_url}|{kratos.public_url}")
    finally:
        kratos.misdirected = None
    for name in ("identity", "courier"):
        check = report.checks[name]
        assert check.status.value == "error"
        assert f"KRATOS_INSTANCES (ciam admin URL) ({kratos.admin_url})" in check.summary
        assert "KRATOS_ADMIN_URL" not in check.summary
        assert check.details["setting"] == "KRATOS_INSTANCES (ciam admin URL)"


@pytest.mark.parametrize(
    ("mail_provider", "says", "never"),
    [
        ("smtp", "MAIL_PROVIDER=smtp: ", "set MAIL_PROVIDER"),
        ("auto", "set MAIL_PROVIDER if ", "MAIL_PROVIDER=smtp"),  # 127.0.0.1 is no known provider
    ],
)
def test_plain_smtp_skip_fits_how_it_was_chosen(
    dns: DnsServer, kratos: KratosStandIn, relay: SmtpStandin, mail_provider: str, says: str, never: str
) -> None:
    provider = diagnose(dns, kratos, relay, mail_provider=mail_provider).checks["provider"]
    assert provider.status.value == "skipped"
    assert says in provider.summary and never not in provider.summary
